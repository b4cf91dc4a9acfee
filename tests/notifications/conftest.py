import pytest


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed():` runs what waits for the transaction to commit (the messages
    handed to the task queue) at the end of the block, as a real commit would."""

    def block():
        return django_capture_on_commit_callbacks(execute=True)

    return block
