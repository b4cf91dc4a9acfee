import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # The suggestion limiter counts in the cache; every test starts with none sent.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _english(english):
    # Assertions read English source text.
    pass
