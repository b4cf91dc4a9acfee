"""API writes take only `application/json`: a web page can send `text/plain` (or a form)
across sites without asking the browser first, so such a request must book nothing."""

import json

import pytest

from openday.registrations.models import Registration
from tests.factories import RegistrationFactory

pytestmark = pytest.mark.django_db

BODY = json.dumps({"name": "王芳", "phone": "13800138000", "consent": True})


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    settings.OPENDAY_RATELIMIT = False


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/jsonp",
        "",
    ],
)
def test_booking_with_another_content_type_is_415_and_books_nothing(
    client, sub_event, content_type
):
    response = client.generic(
        "POST",
        f"/api/v1/subevents/{sub_event.pk}/registrations",
        BODY,
        content_type=content_type,
    )
    assert response.status_code == 415
    assert response["Content-Type"].startswith("application/json")
    data = response.json()
    assert data["code"] == "unsupported_media_type"
    assert data["message"]
    assert not Registration.objects.exists()


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8"])
def test_booking_with_json_content_type_is_accepted(client, sub_event, content_type):
    response = client.generic(
        "POST",
        f"/api/v1/subevents/{sub_event.pk}/registrations",
        BODY,
        content_type=content_type,
    )
    assert response.status_code == 201


def test_cancel_without_json_content_type_is_415_and_changes_nothing(client, sub_event):
    from openday.registrations.models import hash_token

    token = "t" * 43
    registration = RegistrationFactory(sub_event=sub_event, manage_token_hash=hash_token(token))
    response = client.generic(
        "POST", f"/api/v1/registrations/{token}/cancel", "", content_type="text/plain"
    )
    assert response.status_code == 415
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CONFIRMED
    ok = client.post(f"/api/v1/registrations/{token}/cancel", content_type="application/json")
    assert ok.status_code == 200
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CANCELLED


def test_verification_request_without_json_is_415(client):
    response = client.generic(
        "POST",
        "/api/v1/verifications",
        json.dumps({"phone": "13800138000"}),
        content_type="text/plain",
    )
    assert response.status_code == 415


def test_reads_need_no_content_type(client, sub_event):
    assert client.get("/api/v1/subevents", content_type="text/plain").status_code == 200


def test_schema_documents_the_415_answer(client):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/subevents/{id}/registrations"]["post"]
    assert "415" in operation["responses"]
