"""Phone verification through the API: asking for a code, and registering with it when the
site checks phone numbers (OPENDAY_PHONE_VERIFICATION)."""

import json
import re

import pytest

from openday.notifications import sms
from openday.privacy.models import PhoneVerification
from openday.registrations.models import Registration
from tests.factories import RegistrationFactory

# Assertions read the English source text; Chinese pages are checked where it matters.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

PHONE = "13800138000"


@pytest.fixture
def verification_on(settings):
    settings.OPENDAY_PHONE_VERIFICATION = True


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def ask_code(client, phone=PHONE):
    return post(client, "/api/v1/verifications", {"phone": phone})


def register(client, sub_event, **fields):
    body = {"name": "王芳", "phone": PHONE, "consent": True, **fields}
    return post(client, f"/api/v1/subevents/{sub_event.pk}/registrations", body)


def sent_code(outbox) -> str:
    return re.search(r"\b(\d{6})\b", outbox[-1].text).group(1)


class BrokenGateway(sms.BaseSmsBackend):
    requires_templates = False

    def deliver(self, message, template_id):
        raise sms.SmsTemporaryError("unavailable")


def test_verifications_texts_a_code_and_answers_202(client, sms_outbox):
    response = ask_code(client, "+86 138 0013 8000")
    assert response.status_code == 202
    assert response.json()["message"]
    assert [message.phone for message in sms_outbox] == [PHONE]


def test_verifications_answers_the_same_for_registered_and_unknown_numbers(
    client, sms_outbox, sub_event
):
    RegistrationFactory(sub_event=sub_event, phone=PHONE)
    registered = ask_code(client, PHONE)
    unknown = ask_code(client, "13900139000")
    assert registered.status_code == unknown.status_code == 202
    assert registered.json() == unknown.json()


def test_verifications_bad_phone_is_422_naming_the_field(client, sms_outbox):
    response = ask_code(client, "12345")
    assert response.status_code == 422
    assert "phone" in response.json()["errors"]
    assert sms_outbox == []
    assert not PhoneVerification.objects.exists()


def test_verifications_second_request_within_a_minute_is_429_with_retry_after(client, sms_outbox):
    assert ask_code(client).status_code == 202
    response = ask_code(client)
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert response.json()["code"] == "rate_limited"
    assert len(sms_outbox) == 1


def test_verifications_gateway_failure_is_503(client, settings):
    settings.OPENDAY_SMS_BACKEND = f"{__name__}.BrokenGateway"
    response = ask_code(client)
    assert response.status_code == 503
    assert response.json()["code"] == "sms_failed"


def test_registration_with_verification_on_requires_the_code(
    client, sub_event, verification_on, sms_outbox
):
    response = register(client, sub_event)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["verification_code"]
    assert not Registration.objects.exists()


def test_registration_with_a_wrong_code_is_422_and_the_attempt_counts(
    client, sub_event, verification_on, sms_outbox
):
    ask_code(client)
    wrong = "000000" if sent_code(sms_outbox) != "000000" else "111111"
    response = register(client, sub_event, verification_code=wrong)
    assert response.status_code == 422
    assert "wrong or has expired" in response.json()["errors"]["verification_code"][0]
    assert not Registration.objects.exists()
    assert PhoneVerification.objects.get().attempts == 1


def test_registration_with_the_texted_code_books_once(
    client, sub_event, verification_on, sms_outbox
):
    ask_code(client)
    code = sent_code(sms_outbox)
    response = register(client, sub_event, verification_code=code)
    assert response.status_code == 201
    assert Registration.objects.filter(sub_event=sub_event, phone=PHONE).count() == 1
    # The code is spent: the same code does not book again (for another activity either).
    again = register(client, sub_event, verification_code=code, phone="138 0013 8000")
    assert again.status_code == 422


def test_registration_with_verification_off_ignores_the_code(client, sub_event, settings):
    settings.OPENDAY_PHONE_VERIFICATION = False
    response = register(client, sub_event, verification_code="nonsense")
    assert response.status_code == 201


def test_openapi_schema_documents_verification(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert set(schema["paths"]["/api/v1/verifications"]["post"]["responses"]) >= {
        "202",
        "422",
        "429",
        "503",
    }
    body = schema["components"]["schemas"]["RegistrationIn"]["properties"]
    assert "verification_code" in body
