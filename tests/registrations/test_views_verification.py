"""The registration form's second step when the site checks phone numbers
(OPENDAY_PHONE_VERIFICATION): a code by text message, entered on the next page."""

import re

import pytest
from django.core import signing
from django.core.cache import cache
from django.utils import translation

from openday.notifications import sms
from openday.privacy.models import PhoneVerification
from openday.registrations.models import Registration
from tests.registrations.test_views import form_data, register_url

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

PHONE = "13800138000"


@pytest.fixture(autouse=True)
def _verification_on(settings):
    settings.OPENDAY_PHONE_VERIFICATION = True


def sent_code(outbox) -> str:
    return re.search(r"\b(\d{6})\b", outbox[-1].text).group(1)


def pending_of(response) -> str:
    return re.search(r'name="pending" value="([^"]+)"', response.content.decode()).group(1)


def first_step(client, sub_event, **overrides):
    return client.post(register_url(sub_event), form_data(**overrides))


class BrokenGateway(sms.BaseSmsBackend):
    requires_templates = False

    def deliver(self, message, template_id):
        raise sms.SmsTemporaryError("unavailable")


def test_register_with_verification_texts_a_code_and_asks_for_it(client, sub_event, sms_outbox):
    response = first_step(client, sub_event)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Enter the code" in page
    assert 'name="code"' in page
    assert "Send the code again" in page
    assert [message.phone for message in sms_outbox] == [PHONE]
    # The page carries what was typed, signed, and never the code itself.
    assert sent_code(sms_outbox) not in page
    assert signing.loads(pending_of(response), salt="openday.registrations.pending")
    assert not Registration.objects.exists()


def test_register_with_the_texted_code_books_and_shows_the_ticket(client, sub_event, sms_outbox):
    pending = pending_of(first_step(client, sub_event, party_size="2"))
    response = client.post(
        register_url(sub_event), {"pending": pending, "code": sent_code(sms_outbox)}
    )
    assert response.status_code == 302
    registration = Registration.objects.get()
    assert (registration.phone, registration.party_size, registration.name) == (PHONE, 2, "王芳")
    assert "You are registered" in client.get(response["Location"]).content.decode()


def test_register_code_page_sent_twice_leads_to_the_one_booking(client, sub_event, sms_outbox):
    first = client.get(register_url(sub_event)).content.decode()
    form_token = re.search(r'name="form_token" value="([^"]+)"', first).group(1)
    pending = pending_of(first_step(client, sub_event, form_token=form_token))
    data = {"pending": pending, "code": sent_code(sms_outbox)}
    booked = client.post(register_url(sub_event), data)
    again = client.post(register_url(sub_event), data)
    assert again.status_code == 302
    assert again["Location"] == booked["Location"]
    assert Registration.objects.count() == 1


def test_register_with_a_wrong_code_says_so_and_books_nothing(client, sub_event, sms_outbox):
    pending = pending_of(first_step(client, sub_event))
    wrong = "000000" if sent_code(sms_outbox) != "000000" else "111111"
    response = client.post(register_url(sub_event), {"pending": pending, "code": wrong})
    assert response.status_code == 200
    assert "The code is wrong or has expired" in response.content.decode()
    assert not Registration.objects.exists()
    assert PhoneVerification.objects.get().attempts == 1


def test_register_wrong_code_message_is_chinese_by_default(client, sub_event, sms_outbox):
    translation.activate("zh-hans")
    pending = pending_of(first_step(client, sub_event))
    response = client.post(register_url(sub_event), {"pending": pending, "code": "12"})
    assert "验证码" in response.content.decode()


def test_register_send_again_texts_a_new_code_that_works(client, sub_event, sms_outbox):
    pending = pending_of(first_step(client, sub_event))
    first = sent_code(sms_outbox)
    # One code a minute per number: the second request waits its turn.
    response = client.post(register_url(sub_event), {"pending": pending, "action": "resend"})
    assert "Too many codes were requested" in response.content.decode()
    assert len(sms_outbox) == 1
    cache.clear()  # a minute later
    response = client.post(register_url(sub_event), {"pending": pending, "action": "resend"})
    assert response.status_code == 200
    assert len(sms_outbox) == 2
    second = sent_code(sms_outbox)
    # The page now carries the new code's verification ID; the first code is spent.
    refused = client.post(register_url(sub_event), {"pending": pending, "code": first})
    assert "The code is wrong or has expired" in refused.content.decode()
    pending = pending_of(response)
    if second != first:
        refused = client.post(register_url(sub_event), {"pending": pending, "code": first})
        assert "The code is wrong or has expired" in refused.content.decode()
    booked = client.post(register_url(sub_event), {"pending": pending, "code": second})
    assert booked.status_code == 302
    assert Registration.objects.count() == 1


def test_register_with_a_forged_pending_field_books_nothing(client, sub_event, sms_outbox):
    first_step(client, sub_event)
    forged = signing.dumps({"name": "x", "phone": "13900139000"}, salt="another-salt")
    response = client.post(
        register_url(sub_event), {"pending": forged, "code": sent_code(sms_outbox)}
    )
    assert response.status_code == 200
    assert "The form has expired" in response.content.decode()
    assert not Registration.objects.exists()


def test_register_with_invalid_details_shows_the_form_and_sends_nothing(
    client, sub_event, sms_outbox
):
    response = first_step(client, sub_event, phone="12345")
    assert response.status_code == 200
    assert 'name="consent"' in response.content.decode()
    assert sms_outbox == []


def test_register_when_the_gateway_fails_explains_and_books_nothing(client, sub_event, settings):
    settings.OPENDAY_SMS_BACKEND = f"{__name__}.BrokenGateway"
    response = first_step(client, sub_event)
    assert response.status_code == 200
    assert "The text message could not be sent" in response.content.decode()
    assert not Registration.objects.exists()


def test_register_without_verification_books_at_once(client, sub_event, sms_outbox, settings):
    settings.OPENDAY_PHONE_VERIFICATION = False
    response = first_step(client, sub_event)
    assert response.status_code == 302
    assert sms_outbox == []
    assert Registration.objects.count() == 1


def test_register_pending_field_is_ignored_without_verification(client, sub_event, settings):
    settings.OPENDAY_PHONE_VERIFICATION = False
    response = client.post(register_url(sub_event), {"pending": "anything"})
    assert response.status_code == 200
    assert "Enter your name." in response.content.decode()
    assert not Registration.objects.exists()
