import datetime as dt
import re
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone, translation
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from openday.notifications import sms
from openday.privacy.models import PhoneVerification
from openday.privacy.verification import (
    VerificationCodeInvalid,
    VerificationError,
    VerificationRateLimited,
    VerificationSendFailed,
    verification_check,
    verification_send,
)
from tests.conftest import requires_postgres

pytestmark = pytest.mark.django_db

PHONE = "13800138000"


def sent_code(outbox) -> str:
    return re.search(r"\b(\d{6})\b", outbox[-1].text).group(1)


def test_verification_send_texts_a_six_digit_code_to_the_phone(sms_outbox):
    verification_send(phone="+86 138 0013 8000", client_address="203.0.113.5")
    assert len(sms_outbox) == 1
    assert sms_outbox[0].phone == PHONE
    assert re.fullmatch(r"\d{6}", sent_code(sms_outbox))


def test_verification_send_stores_neither_phone_nor_code(sms_outbox):
    verification_send(phone=PHONE)
    code = sent_code(sms_outbox)
    row = PhoneVerification.objects.get()
    stored = " ".join(str(value) for value in row.__dict__.values())
    assert PHONE not in stored
    assert code not in row.code_hash


def test_verification_check_accepts_the_code_once(sms_outbox):
    verification_id = verification_send(phone=PHONE)
    code = sent_code(sms_outbox)
    verification_check(phone=PHONE, code=code, verification_id=verification_id)
    with pytest.raises(VerificationCodeInvalid):
        verification_check(phone=PHONE, code=code, verification_id=verification_id)


def test_verification_check_needs_the_id_the_code_was_sent_under(sms_outbox):
    verification_send(phone=PHONE)
    code = sent_code(sms_outbox)
    for other in ("", "x" * 32, None, "y" * 500):
        with pytest.raises(VerificationCodeInvalid):
            verification_check(phone=PHONE, code=code, verification_id=other)
    assert PhoneVerification.objects.get().attempts == 0


def test_verification_check_accepts_spaces_and_full_width_digits(sms_outbox):
    verification_id = verification_send(phone=PHONE)
    code = sent_code(sms_outbox)
    full_width = "".join(chr(ord(digit) + 0xFEE0) for digit in code)
    verification_check(
        phone="138 0013 8000",
        code=f" {full_width[:3]} {full_width[3:]} ",
        verification_id=verification_id,
    )


def test_verification_check_refuses_a_code_sent_to_another_phone(sms_outbox):
    verification_id = verification_send(phone="13900139000")
    code = sent_code(sms_outbox)
    with pytest.raises(VerificationCodeInvalid):
        verification_check(phone=PHONE, code=code, verification_id=verification_id)


def test_verification_check_refuses_an_expired_code(sms_outbox):
    verification_id = verification_send(phone=PHONE)
    code = sent_code(sms_outbox)
    past = timezone.now() - dt.timedelta(minutes=10)
    PhoneVerification.objects.update(created_at=past, expires_at=past + dt.timedelta(minutes=5))
    with pytest.raises(VerificationCodeInvalid):
        verification_check(phone=PHONE, code=code, verification_id=verification_id)


def test_verification_check_kills_the_code_after_too_many_wrong_attempts(sms_outbox, settings):
    settings.OPENDAY_VERIFICATION_MAX_ATTEMPTS = 3
    verification_id = verification_send(phone=PHONE)
    code = sent_code(sms_outbox)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(3):
        with pytest.raises(VerificationCodeInvalid):
            verification_check(phone=PHONE, code=wrong, verification_id=verification_id)
    with pytest.raises(VerificationCodeInvalid):
        verification_check(phone=PHONE, code=code, verification_id=verification_id)
    assert PhoneVerification.objects.get().attempts == 4


def test_a_code_asked_by_someone_else_leaves_the_first_one_working(sms_outbox, settings):
    settings.OPENDAY_RATELIMIT = False
    mine = verification_send(phone=PHONE, client_address="203.0.113.5")
    my_code = sent_code(sms_outbox)
    theirs = verification_send(phone=PHONE, client_address="198.51.100.7")
    for _ in range(10):
        with pytest.raises(VerificationCodeInvalid):
            verification_check(phone=PHONE, code="000000", verification_id=theirs)
    verification_check(phone=PHONE, code=my_code, verification_id=mine)


def test_verification_send_is_limited_per_phone_and_address(sms_outbox):
    verification_send(phone=PHONE)
    with pytest.raises(VerificationRateLimited):
        verification_send(phone=PHONE)
    assert len(sms_outbox) == 1
    assert PhoneVerification.objects.count() == 1


def test_verification_send_is_limited_per_address(sms_outbox):
    for n in range(20):
        verification_send(phone=f"1390000{n:04d}", client_address="198.51.100.7")
    with pytest.raises(VerificationRateLimited):
        verification_send(phone="13700000000", client_address="198.51.100.7")
    verification_send(phone="13700000000", client_address="198.51.100.8")
    assert len(sms_outbox) == 21


def test_verification_send_refuses_a_malformed_number(sms_outbox):
    with pytest.raises(ValidationError):
        verification_send(phone="12345")
    assert sms_outbox == []
    assert PhoneVerification.objects.count() == 0


class BrokenGateway(sms.BaseSmsBackend):
    requires_templates = False

    def deliver(self, message, template_id):
        raise sms.SmsTemporaryError("unavailable")


def test_verification_send_reports_a_gateway_failure(settings):
    settings.OPENDAY_SMS_BACKEND = f"{__name__}.BrokenGateway"
    with pytest.raises(VerificationSendFailed):
        verification_send(phone=PHONE)
    assert PhoneVerification.objects.get().used_at is not None


def test_verification_message_is_in_the_active_language(sms_outbox):
    # Set here: a test run before this one may leave another language active.
    with translation.override("zh-hans"):
        verification_send(phone=PHONE)
    assert "验证码" in sms_outbox[0].text


@hypothesis_settings(max_examples=60, deadline=None)
@given(
    phone=st.one_of(st.text(max_size=40), st.integers(), st.none()),
    code=st.one_of(
        st.text(max_size=20), st.integers(), st.none(), st.lists(st.text(max_size=3), max_size=3)
    ),
)
def test_verification_check_refuses_arbitrary_input_cleanly(phone, code):
    with pytest.raises(VerificationError):
        verification_check(phone=phone, code=code, verification_id="x" * 32)
    assert PhoneVerification.objects.count() == 0


@requires_postgres
def test_verification_check_accepts_a_code_once_under_concurrency(transactional_db, sms_outbox):
    verification_id = verification_send(phone=PHONE)
    code = sent_code(sms_outbox)
    barrier = threading.Barrier(6)
    outcomes = []

    def attempt():
        barrier.wait()
        try:
            verification_check(phone=PHONE, code=code, verification_id=verification_id)
            outcomes.append("accepted")
        except VerificationCodeInvalid:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["accepted"] + ["refused"] * 5


def test_a_code_sent_is_recorded_without_the_code_or_the_number(sms_outbox):
    from openday.notifications.models import Notification

    verification_send(phone=PHONE)
    code = sent_code(sms_outbox)
    record = Notification.objects.get()
    assert (record.kind, record.channel, record.status) == ("verification_code", "sms", "sent")
    assert record.sent_at is not None
    assert record.params == {"minutes": "5"}
    stored = " ".join(
        str(value)
        for name, value in record.__dict__.items()
        if name not in ("created_at", "send_after", "sent_at", "claimed_at")
    )
    assert code not in stored
    assert PHONE not in stored


def test_a_code_the_gateway_refused_is_recorded_as_failed(settings):
    from openday.notifications.models import Notification

    settings.OPENDAY_SMS_BACKEND = f"{__name__}.BrokenGateway"
    with pytest.raises(VerificationSendFailed):
        verification_send(phone=PHONE)
    record = Notification.objects.get()
    assert (record.status, record.error_code) == ("failed", "unavailable")


def test_codes_count_against_the_sms_budget(settings, sms_outbox):
    from openday.notifications.services import sms_budget_reached

    settings.OPENDAY_SMS_BUDGET_HOUR = 2
    verification_send(phone=PHONE)
    assert not sms_budget_reached()
    verification_send(phone="13900139000")
    assert sms_budget_reached()
