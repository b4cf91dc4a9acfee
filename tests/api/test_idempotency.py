"""`Idempotency-Key` on bookings: a client whose answer was lost retries and gets the
first answer again, never a second booking."""

import datetime as dt
import json

import pytest

from openday.registrations.models import IdempotentBooking, Registration
from openday.registrations.services import registration_cancel
from tests.factories import SubEventFactory

pytestmark = pytest.mark.django_db

KEY = "5f0c9a52-8a43-4a55-9d7e-6c1f7f3d2b10"


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    settings.OPENDAY_RATELIMIT = False


def book(client, sub_event, key=KEY, phone="13800138000", **fields):
    body = {"name": "王芳", "phone": phone, "consent": True, **fields}
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(
        f"/api/v1/subevents/{sub_event.pk}/registrations",
        data=json.dumps(body),
        content_type="application/json",
        **headers,
    )


def test_same_key_gets_the_first_answer_again(client, sub_event):
    first = book(client, sub_event)
    again = book(client, sub_event, phone="138 0013 8000")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert Registration.objects.count() == 1
    # The manage link works.
    token = again.json()["token"]
    assert (
        client.get(f"/api/v1/registrations/{token}").json()["reference"]
        == (first.json()["reference"])
    )


def test_without_a_key_a_repeat_is_a_duplicate(client, sub_event):
    assert book(client, sub_event, key=None).status_code == 201
    repeat = book(client, sub_event, key=None)
    assert (repeat.status_code, repeat.json()["code"]) == (409, "refused")


def test_the_first_status_is_answered_even_after_a_promotion(client):
    sub_event = SubEventFactory(capacity=1)
    holder = book(client, sub_event, key="a" * 20, phone="13900139000").json()
    first = book(client, sub_event).json()
    assert first["status"] == "waitlisted"
    registration_cancel(registration=Registration.objects.get(reference=holder["reference"]))
    assert Registration.objects.get(reference=first["reference"]).status == "confirmed"
    assert book(client, sub_event).json() == first


def test_the_key_counts_with_the_phone_and_the_activity(client, sub_event):
    # Another day: one number may not hold places at the same hour.
    other_activity = SubEventFactory(
        event=sub_event.event,
        starts_at=sub_event.starts_at + dt.timedelta(days=1),
        ends_at=sub_event.ends_at + dt.timedelta(days=1),
    )
    first = book(client, sub_event)
    stranger = book(client, sub_event, phone="13900139000")
    elsewhere = book(client, other_activity)
    assert stranger.status_code == elsewhere.status_code == 201
    assert len({first.json()["token"], stranger.json()["token"], elsewhere.json()["token"]}) == 3
    assert Registration.objects.count() == 3


def test_a_refusal_is_not_remembered(client, django_capture_on_commit_callbacks):
    sub_event = SubEventFactory(capacity=1, waitlist_enabled=False)
    taken = book(client, sub_event, key="b" * 20, phone="13900139000")
    assert taken.status_code == 201
    assert book(client, sub_event).json()["code"] == "refused"
    with django_capture_on_commit_callbacks(execute=True):
        registration_cancel(
            registration=Registration.objects.get(reference=taken.json()["reference"])
        )
    retry = book(client, sub_event)
    assert retry.status_code == 201, retry.json()


def test_neither_key_nor_token_is_stored_readable(client, sub_event):
    answer = book(client, sub_event).json()
    record = IdempotentBooking.objects.get()
    stored = " ".join(str(value) for value in record.__dict__.values())
    assert KEY not in stored and answer["token"] not in stored


def test_an_answer_older_than_a_day_is_not_repeated(client, sub_event):
    import datetime as dt

    from openday.registrations import idempotency

    book(client, sub_event)
    IdempotentBooking.objects.update(created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    assert book(client, sub_event).json()["code"] == "refused"
    assert idempotency.forget_expired() == 1


def test_a_key_with_spaces_or_too_long_is_invalid(client, sub_event):
    for key in ("has space", "x" * 256):
        response = book(client, sub_event, key=key)
        assert response.status_code == 422
    assert Registration.objects.count() == 0


def test_the_schema_documents_the_header(client):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/subevents/{id}/registrations"]["post"]
    headers = [p for p in operation["parameters"] if p["in"] == "header"]
    assert [p["name"] for p in headers] == ["Idempotency-Key"]
    assert "first `201` again" in headers[0]["description"]
    assert "503" in operation["responses"]
