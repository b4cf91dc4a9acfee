"""Delivery: a broken gateway delays a message, never a booking; temporary refusals are
tried again, permanent ones are not; what is due by the clock goes out once, never at
night; the log carries no number, link or code."""

import datetime as dt
import logging
import zoneinfo

import pytest
from django.core.management import call_command
from django.urls import reverse

from openday.notifications.kinds import PARAMETERS
from openday.notifications.models import Notification
from openday.notifications.services import send_due
from openday.notifications.sms.testing import TencentSmsDouble
from openday.registrations import services
from openday.registrations.models import Registration
from tests import factories

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture
def gateway(settings):
    """Tencent Cloud SMS as the local double plays it, every kind's template approved."""
    templates = {f"T-{kind}": len(params) for kind, params in PARAMETERS.items()}
    double = TencentSmsDouble(
        app_id="1400000001",
        key_id="AKIDnotify000001",
        key_secret="notify-secret",
        sign_name="开放日",
        templates=templates,
    )
    with double:
        settings.OPENDAY_SMS_BACKEND = "tencent"
        settings.OPENDAY_SMS_ENDPOINT = double.url
        settings.OPENDAY_SMS_KEY_ID = "AKIDnotify000001"
        settings.OPENDAY_SMS_KEY_SECRET = "notify-secret"
        settings.OPENDAY_SMS_SIGN_NAME = "开放日"
        settings.OPENDAY_SMS_APP_ID = "1400000001"
        settings.OPENDAY_SMS_TEMPLATES = {kind: f"T-{kind}" for kind in PARAMETERS}
        yield double


def test_a_gateway_error_leaves_the_booking_and_a_record_tried_again(
    book, committed, gateway, sub_event
):
    gateway.fail("rate_limited")
    with committed():
        booking = book(sub_event)
    assert Registration.objects.get().status == Registration.Status.CONFIRMED
    record = Notification.objects.get()
    assert (record.status, record.attempts, record.error_code) == ("retrying", 1, "rate_limited")
    assert gateway.accepted == []

    gateway.fail(None)
    send_due(now=record.send_after - dt.timedelta(seconds=1))
    assert gateway.accepted == []
    send_due(now=record.send_after)
    record.refresh_from_db()
    assert (record.status, record.attempts, record.error_code) == ("sent", 2, "")
    assert record.provider_message_id
    assert [message["phone"] for message in gateway.accepted] == ["+8613800138000"]
    assert booking.registration.reference in gateway.accepted[0]["params"]


def test_an_invalid_number_is_not_tried_again(book, committed, gateway, sub_event):
    gateway.fail("invalid_number")
    with committed():
        book(sub_event)
    record = Notification.objects.get()
    assert (record.status, record.error_code) == ("failed", "invalid_number")
    send_due(now=record.send_after + dt.timedelta(days=1))
    record.refresh_from_db()
    assert (record.status, record.attempts) == ("failed", 1)


def test_a_kind_without_template_is_recorded_as_skipped(book, committed, gateway, settings):
    del settings.OPENDAY_SMS_TEMPLATES["booking_confirmed"]
    with committed():
        book(factories.SubEventFactory())
    assert Notification.objects.get().status == "skipped"
    assert gateway.accepted == []


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


@pytest.fixture
def tomorrow_noon_activity(book):
    """An activity tomorrow at noon (Shanghai) and a confirmed registration for it."""
    day = (dt.datetime.now(SHANGHAI) + dt.timedelta(days=1)).date()
    sub_event = factories.SubEventFactory(
        starts_at=at(day, 12), ends_at=at(day, 14), registration_opens_at=None
    )
    registration = factories.RegistrationFactory(sub_event=sub_event, phone="13800138000")
    return sub_event, registration, day


def test_a_reminder_due_at_half_past_ten_at_night_waits_until_eight(
    settings, sms_outbox, tomorrow_noon_activity
):
    settings.OPENDAY_QUIET_HOURS_START, settings.OPENDAY_QUIET_HOURS_END = 22, 8
    sub_event, registration, day = tomorrow_noon_activity
    evening = at(day - dt.timedelta(days=1), 22, 30)
    send_due(now=evening)
    assert sms_outbox == []
    send_due(now=at(day, 7, 59))
    assert sms_outbox == []
    send_due(now=at(day, 8, 0))
    assert [(message.kind, message.phone) for message in sms_outbox] == [
        ("reminder", "13800138000")
    ]


@pytest.fixture
def soon():
    """An activity that starts in 20 hours, inside the reminder window."""
    starts = dt.datetime.now(SHANGHAI) + dt.timedelta(hours=20)
    return factories.SubEventFactory(starts_at=starts, ends_at=starts + dt.timedelta(hours=2))


def test_send_due_notifications_twice_sends_once(sms_outbox, soon):
    factories.RegistrationFactory(sub_event=soon)
    call_command("send_due_notifications")
    call_command("send_due_notifications")
    assert [message.kind for message in sms_outbox] == ["reminder"]
    assert Notification.objects.get().status == "sent"


def test_a_reminder_is_not_sent_for_an_activity_further_off(sms_outbox, book):
    factories.RegistrationFactory(sub_event=factories.SubEventFactory())
    call_command("send_due_notifications")
    assert sms_outbox == []


def test_turning_reminders_off_on_the_manage_page_means_none(
    client, committed, sms_outbox, book, soon
):
    with committed():
        booking = book(soon)
    response = client.post(
        reverse("registrations:reminders", kwargs={"token": booking.token}), {"reminders": "off"}
    )
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert reverse("registrations:reminders", kwargs={"token": booking.token}) in page
    sms_outbox.clear()
    call_command("send_due_notifications")
    assert sms_outbox == []


def test_a_survey_invitation_follows_a_checked_in_visit_once(sms_outbox, book, committed):
    sub_event = factories.SubEventFactory()
    with committed():
        registration = book(sub_event).registration
    services.registration_check_in(registration=registration)
    sms_outbox.clear()
    checked_in = Registration.objects.get().checked_in_at
    send_due(now=checked_in + dt.timedelta(hours=1))
    assert sms_outbox == []
    send_due(now=checked_in + dt.timedelta(hours=3, minutes=1))
    send_due(now=checked_in + dt.timedelta(hours=4))
    assert [message.kind for message in sms_outbox] == ["survey_invitation"]


def test_the_sms_budget_holds_back_what_is_not_urgent(settings, sms_outbox, book, committed, soon):
    settings.OPENDAY_SMS_BUDGET_HOUR = 1
    with committed():
        book(soon, "13800138000")
        book(soon, "13900139000")
    # Confirmations are answers to what people just did: they pass the budget.
    assert [message.kind for message in sms_outbox] == ["booking_confirmed"] * 2
    call_command("send_due_notifications")
    assert len(sms_outbox) == 2
    assert Notification.objects.filter(kind="reminder", status="queued").count() == 2


def test_log_lines_carry_no_number_link_or_code(book, committed, gateway, caplog, sub_event):
    caplog.set_level(logging.DEBUG)
    gateway.fail("rate_limited")
    with committed():
        booking = book(sub_event)
    gateway.fail(None)
    send_due(now=Notification.objects.get().send_after)
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "rate_limited" in text
    assert "13800138000" not in text
    assert booking.token not in text
    assert "/r/" not in text
