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


def post(client, url, body, **extra):
    return client.post(url, data=json.dumps(body), content_type="application/json", **extra)


def ask_code(client, phone=PHONE):
    return post(client, "/api/v1/verifications", {"phone": phone})


def register(client, sub_event, REMOTE_ADDR="127.0.0.1", **fields):  # noqa: N803
    body = {"name": "王芳", "phone": PHONE, "consent": True, **fields}
    return post(
        client, f"/api/v1/subevents/{sub_event.pk}/registrations", body, REMOTE_ADDR=REMOTE_ADDR
    )


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
    assert registered.json()["message"] == unknown.json()["message"]
    assert registered.json().keys() == unknown.json().keys()


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
    verification_id = ask_code(client).json()["verification_id"]
    wrong = "000000" if sent_code(sms_outbox) != "000000" else "111111"
    response = register(client, sub_event, verification_code=wrong, verification_id=verification_id)
    assert response.status_code == 422
    assert "wrong or has expired" in response.json()["errors"]["verification_code"][0]
    assert not Registration.objects.exists()
    assert PhoneVerification.objects.get().attempts == 1


def test_registration_with_the_texted_code_books_once(
    client, sub_event, verification_on, sms_outbox
):
    verification_id = ask_code(client).json()["verification_id"]
    code = sent_code(sms_outbox)
    response = register(client, sub_event, verification_code=code, verification_id=verification_id)
    assert response.status_code == 201
    assert Registration.objects.filter(sub_event=sub_event, phone=PHONE).count() == 1
    # The code is spent: the same code does not book again (for another activity either).
    again = register(
        client,
        sub_event,
        verification_code=code,
        verification_id=verification_id,
        phone="138 0013 8000",
    )
    assert again.status_code == 422


def test_a_code_works_only_with_the_verification_id_of_who_asked(
    client, sub_event, verification_on, sms_outbox
):
    ask_code(client)
    code = sent_code(sms_outbox)
    without = register(client, sub_event, verification_code=code)
    guessed = register(client, sub_event, verification_code=code, verification_id="x" * 32)
    assert without.status_code == guessed.status_code == 422
    assert not Registration.objects.exists()


def test_a_stranger_can_neither_burn_nor_replace_a_citizens_code(
    client, sub_event, verification_on, sms_outbox, settings
):
    settings.OPENDAY_VERIFICATION_MAX_ATTEMPTS = 3
    citizen_id = ask_code(client).json()["verification_id"]
    code = sent_code(sms_outbox)
    # A stranger, at another address, asks for a code for the same number, and guesses.
    stranger = post(client, "/api/v1/verifications", {"phone": PHONE}, REMOTE_ADDR="198.51.100.77")
    assert stranger.status_code == 202
    for guess in ("000000", "111111", "222222", "333333"):
        register(client, sub_event, verification_code=guess, REMOTE_ADDR="198.51.100.77")
        register(
            client,
            sub_event,
            verification_code=guess,
            verification_id=stranger.json()["verification_id"],
            REMOTE_ADDR="198.51.100.77",
        )
    response = register(client, sub_event, verification_code=code, verification_id=citizen_id)
    assert response.status_code == 201, response.json()


def test_a_stranger_cannot_use_up_a_numbers_codes_from_one_address(client, sms_outbox):
    for _ in range(3):
        post(client, "/api/v1/verifications", {"phone": PHONE}, REMOTE_ADDR="198.51.100.77")
    mine = post(client, "/api/v1/verifications", {"phone": PHONE}, REMOTE_ADDR="203.0.113.9")
    assert mine.status_code == 202
    assert len(sms_outbox) == 2


def test_a_number_gets_at_most_ten_codes_an_hour_from_anywhere(client, sms_outbox):
    answers = [
        post(
            client, "/api/v1/verifications", {"phone": PHONE}, REMOTE_ADDR=f"198.51.100.{n + 1}"
        ).status_code
        for n in range(11)
    ]
    assert answers == [202] * 10 + [429]


def test_codes_asked_from_one_ipv6_64_count_as_one_address(client, sms_outbox):
    answers = [
        post(
            client,
            "/api/v1/verifications",
            {"phone": f"1390000{n:04d}"},
            REMOTE_ADDR=f"2001:db8:5:6:{n:x}::1",
        ).status_code
        for n in range(21)
    ]
    assert answers == [202] * 20 + [429]


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
