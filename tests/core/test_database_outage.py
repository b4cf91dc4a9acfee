"""The database goes away: every API answer is JSON 503 with Retry-After, pages are a
friendly 503, nothing is half-written, and bookings work again as soon as it is back.
(bench/faults.py stops a real PostgreSQL under gunicorn; here every query fails.)"""

import contextlib
import json

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse

from openday.registrations.models import Registration

pytestmark = pytest.mark.django_db


def _refuse(execute, sql, params, many, context):
    raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


@contextlib.contextmanager
def database_down():
    with connection.execute_wrapper(_refuse):
        yield


@pytest.fixture
def visitor():
    # As a browser sees it: the server's answer, never the exception.
    return Client(raise_request_exception=False)


def book(client, sub_event, phone="13800138000"):
    body = {"name": "王芳", "phone": phone, "consent": True}
    return client.post(
        f"/api/v1/subevents/{sub_event.pk}/registrations",
        data=json.dumps(body),
        content_type="application/json",
    )


def test_every_api_answer_is_json_503_with_retry_after(visitor, sub_event):
    with database_down():
        answers = [
            visitor.get("/api/v1/events"),
            visitor.get("/api/v1/subevents"),
            visitor.get(f"/api/v1/subevents/{sub_event.pk}"),
            visitor.get("/api/v1/registrations/" + "x" * 40),
            book(visitor, sub_event),
        ]
    for response in answers:
        assert response.status_code == 503
        assert response["Content-Type"] == "application/json"
        assert response.json()["code"] == "unavailable"
        assert int(response["Retry-After"]) > 0
    assert Registration.objects.count() == 0
    assert book(visitor, sub_event).status_code == 201


def test_pages_are_a_translated_503_page(visitor, sub_event):
    register = reverse(
        "events:register", kwargs={"event_slug": sub_event.event.slug, "pk": sub_event.pk}
    )
    form = {"name": "王芳", "phone": "13800138000", "party_size": "1", "consent": "on"}
    with database_down():
        answers = [
            visitor.get("/"),
            visitor.get(sub_event.get_absolute_url()),
            visitor.get(register),
            visitor.post(register, form),
        ]
        english = visitor.get("/en/")
    for response in answers:
        assert response.status_code == 503
        assert response["Retry-After"]
        assert "稍后" in response.content.decode()
        assert "Traceback" not in response.content.decode()
    assert "Please try again in a few seconds" in english.content.decode()
    assert Registration.objects.count() == 0


def test_staff_pages_answer_503_when_the_session_cannot_be_read(visitor, superuser):
    visitor.force_login(superuser)
    with database_down():
        response = visitor.get(reverse("admin:index"))
    assert response.status_code == 503
    assert response["Retry-After"]


def test_probes_while_the_database_is_down(visitor):
    with database_down():
        healthz = visitor.get("/healthz")
        readyz = visitor.get("/readyz")
    assert (healthz.status_code, healthz.content) == (200, b"ok")
    assert readyz.status_code == 503
    assert readyz.json()["database"]["status"] == "unavailable"
    assert readyz.json()["task_queue"]["status"] == "ok"


def test_other_api_failures_are_json_too(visitor, sub_event, monkeypatch):
    from openday.registrations import services

    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(services, "registration_create", broken)
    response = book(visitor, sub_event)
    assert response.status_code == 500
    assert response.json()["code"] == "server_error"
