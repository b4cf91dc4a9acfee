import pytest
from django.db import DatabaseError


@pytest.mark.django_db
def test_healthz_answers_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"


@pytest.mark.django_db
def test_readyz_reports_each_dependency(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == {"status": "ok"}
    assert body["cache"]["status"] == "ok"
    assert body["task_queue"]["status"] == "ok"


@pytest.mark.django_db
def test_readyz_counts_the_queued_tasks(client, settings):
    from openday.notifications.delivery import deliver_notifications

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    deliver_notifications.using(backend="default").enqueue([1])
    queue = client.get("/readyz").json()["task_queue"]
    assert (queue["backend"], queue["ready"], queue["running"]) == ("database", 1, 0)


@pytest.mark.django_db
def test_readyz_is_503_when_the_database_fails(client, monkeypatch):
    from django.db.backends.utils import CursorWrapper

    def fail(*args, **kwargs):
        raise DatabaseError("down")

    monkeypatch.setattr(CursorWrapper, "execute", fail)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"]["status"] == "unavailable"
