import datetime as dt
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Sum
from django.utils import timezone

from openday.feedback.models import Feedback
from openday.privacy.models import PhoneVerification
from openday.privacy.retention import (
    ErasureNotAllowed,
    registration_can_be_erased,
    registration_erase,
)
from openday.registrations.models import Registration
from tests import factories

pytestmark = pytest.mark.django_db


def ended_sub_event(days_ago: int):
    ends = timezone.now() - dt.timedelta(days=days_ago)
    return factories.SubEventFactory(starts_at=ends - dt.timedelta(hours=2), ends_at=ends)


def statistics():
    """What the reports count: registrations, places, check-ins and ratings per activity."""
    registrations = (
        Registration.objects.values("sub_event_id", "status")
        .annotate(rows=Count("pk"), places=Sum("party_size"), checked_in=Count("checked_in_at"))
        .order_by("sub_event_id", "status")
    )
    feedback = Feedback.objects.values("sub_event_id", "rating", "text").order_by("pk")
    return list(registrations), list(feedback)


def purge(*args) -> str:
    out = StringIO()
    call_command("purge_personal_data", *args, stdout=out)
    return out.getvalue()


def counts(output: str) -> list[int]:
    """The figures the command printed: registrations, feedback, verification codes."""
    lines = [line for line in output.splitlines() if line.startswith("  ")]
    return [int(re.findall(r"\d+", line)[-1]) for line in lines]


@pytest.fixture
def old_and_recent():
    old = ended_sub_event(days_ago=200)
    recent = ended_sub_event(days_ago=10)
    for sub_event in (old, recent):
        factories.RegistrationFactory.create_batch(
            3, sub_event=sub_event, email="a@example.com", checked_in_at=timezone.now()
        )
        factories.RegistrationFactory(
            sub_event=sub_event, status=Registration.Status.CANCELLED, party_size=2
        )
        factories.FeedbackFactory(
            event=sub_event.event,
            sub_event=sub_event,
            contact_name="李雷",
            contact_phone="13912345678",
            contact_email="li@example.com",
        )
    return old, recent


def test_purge_removes_every_phone_number_of_ended_sub_events(old_and_recent):
    old, recent = old_and_recent
    purge()
    assert not Registration.objects.filter(sub_event=old).exclude(phone="").exists()
    assert not Registration.objects.filter(sub_event=old).exclude(name="", email="").exists()
    assert not Feedback.objects.filter(sub_event=old).exclude(contact_phone="").exists()
    assert (
        not Feedback.objects.filter(sub_event=old)
        .exclude(contact_name="", contact_email="")
        .exists()
    )
    assert Registration.objects.filter(sub_event=old, anonymised_at__isnull=True).count() == 0


def test_purge_keeps_data_inside_the_retention_period(old_and_recent):
    _, recent = old_and_recent
    before = list(Registration.objects.filter(sub_event=recent).values("name", "phone", "email"))
    purge()
    after = list(Registration.objects.filter(sub_event=recent).values("name", "phone", "email"))
    assert after == before
    assert Feedback.objects.get(sub_event=recent).contact_phone == "13912345678"


def test_purge_leaves_statistics_unchanged(old_and_recent):
    before = statistics()
    purge()
    assert statistics() == before


def test_purge_dry_run_changes_nothing_and_says_what_it_would_do(old_and_recent):
    before = list(Registration.objects.values_list("pk", "name", "phone", "anonymised_at"))
    output = purge("--dry-run")
    assert list(Registration.objects.values_list("pk", "name", "phone", "anonymised_at")) == before
    assert counts(output) == [4, 1, 0, 0]
    assert Feedback.objects.exclude(contact_phone="").count() == 2


def test_purge_prints_what_it_did_and_a_second_run_does_nothing(old_and_recent):
    assert counts(purge()) == [4, 1, 0, 0]
    anonymised = list(Registration.objects.values_list("pk", "anonymised_at"))
    assert counts(purge()) == [0, 0, 0, 0]
    assert list(Registration.objects.values_list("pk", "anonymised_at")) == anonymised


def test_purge_respects_the_configured_retention(old_and_recent, settings):
    settings.OPENDAY_RETENTION_DAYS = 5
    purge()
    assert not Registration.objects.exclude(phone="").exists()


def test_purge_days_option_overrides_the_setting(old_and_recent):
    purge("--days", "300")
    assert Registration.objects.filter(anonymised_at__isnull=False).count() == 0


def test_purge_covers_feedback_of_an_open_day_without_activity():
    event = factories.EventFactory(
        starts_on=timezone.localdate() - dt.timedelta(days=400),
        ends_on=timezone.localdate() - dt.timedelta(days=390),
    )
    factories.FeedbackFactory(event=event, contact_phone="13912345678")
    purge()
    assert Feedback.objects.get().contact_phone == ""


def test_purge_deletes_old_verification_codes():
    long_ago = timezone.now() - dt.timedelta(days=2)
    old = PhoneVerification.objects.create(
        phone_hash="a" * 64, code_hash="b" * 64, expires_at=timezone.now() + dt.timedelta(days=1)
    )
    PhoneVerification.objects.filter(pk=old.pk).update(
        created_at=long_ago, expires_at=long_ago + dt.timedelta(minutes=5)
    )
    fresh = PhoneVerification.objects.create(
        phone_hash="c" * 64, code_hash="d" * 64, expires_at=timezone.now() + dt.timedelta(minutes=5)
    )
    purge()
    assert list(PhoneVerification.objects.all()) == [fresh]


def test_purge_lets_the_same_phone_book_again_later(old_and_recent):
    old, _ = old_and_recent
    purge()
    # Anonymised rows have an empty phone, which the one-per-phone constraint leaves out.
    assert Registration.objects.filter(sub_event=old, phone="").count() == 4


def test_registration_erase_after_the_activity_removes_the_persons_data():
    sub_event = ended_sub_event(days_ago=1)
    registration = factories.RegistrationFactory(sub_event=sub_event, email="w@example.com")
    factories.FeedbackFactory(
        event=sub_event.event, registration=registration, contact_phone="13912345678"
    )
    assert registration_can_be_erased(registration)
    registration_erase(registration=registration)
    registration.refresh_from_db()
    assert (registration.name, registration.phone, registration.email) == ("", "", "")
    assert registration.status == Registration.Status.CONFIRMED
    assert Feedback.objects.get().contact_phone == ""
    assert not registration_can_be_erased(registration)


def test_registration_erase_before_the_activity_is_refused():
    registration = factories.RegistrationFactory()
    assert not registration_can_be_erased(registration)
    with pytest.raises(ErasureNotAllowed):
        registration_erase(registration=registration)
    registration.refresh_from_db()
    assert registration.phone != ""
    assert registration.anonymised_at is None


def test_registration_erase_of_a_cancelled_activity_is_allowed():
    registration = factories.RegistrationFactory(sub_event__is_cancelled=True)
    registration_erase(registration=registration)
    registration.refresh_from_db()
    assert registration.phone == ""


PHONE, EMAIL = "13812345678", "wang.fang@example.com"


def rows_holding(*values: str) -> list[tuple[str, str]]:
    """(table, value) for every row of every table in which one of `values` appears."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608 (table names from Django)
            for row in cursor.fetchall():
                text = " ".join(map(str, row))
                found += [(table, value) for value in values if value in text]
    return found


@pytest.fixture
def told_person(django_capture_on_commit_callbacks, sms_outbox, admin_user):
    """A registrant who booked, was told by text and e-mail, got a staff message and a
    live notice, left a suggestion that staff answered, and whose activity then ended."""
    from openday.events.models import Notice
    from openday.notifications import services as notify
    from openday.registrations import services
    from openday.staff.messaging import staff_message_send

    sub_event = factories.SubEventFactory()
    with django_capture_on_commit_callbacks(execute=True):
        booking = services.registration_create(
            sub_event_id=sub_event.pk, name="王芳", phone=PHONE, email=EMAIL
        )
        staff_message_send(
            sub_event=sub_event,
            kind="other",
            subject="集合地点调整",
            body="请从东门入场",
            statuses=["confirmed"],
            checked_in="",
            sent_by=admin_user,
        )
        notice = Notice.objects.create(event=sub_event.event, sub_event=sub_event, text="改在室内")
        notify.notify_live_notice(notice)
        feedback = factories.FeedbackFactory(
            event=sub_event.event,
            registration=booking.registration,
            contact_consent=True,
            contact_phone=PHONE,
            contact_email=EMAIL,
            public_reply="已采纳",
            is_published=True,
        )
        notify.notify_suggestion_replied(feedback)
    assert {message.phone for message in sms_outbox} == {PHONE}
    assert len(sms_outbox) == 4  # booked, staff message, notice, reply
    ends = timezone.now() - dt.timedelta(days=200)
    sub_event.starts_at, sub_event.ends_at = ends - dt.timedelta(hours=2), ends
    sub_event.save()
    assert rows_holding(PHONE, EMAIL)
    return Registration.objects.get(pk=booking.registration.pk)


def test_after_the_purge_no_table_holds_the_registrants_number_or_address(told_person):
    from openday.notifications.models import Notification

    before = list(Notification.objects.values_list("kind", "channel", "status").order_by("pk"))
    purge()
    assert rows_holding(PHONE, EMAIL) == []
    # What the dashboard counts stays.
    after = list(Notification.objects.values_list("kind", "channel", "status").order_by("pk"))
    assert after == before


def test_deleting_ones_data_clears_it_from_the_messages_too(told_person):
    from openday.notifications.models import Notification

    registration_erase(registration=told_person)
    assert rows_holding(PHONE, EMAIL) == []
    assert not Notification.objects.exclude(params={}).exists()


def test_a_message_not_yet_sent_is_dropped_by_the_purge(told_person):
    from openday.notifications.models import Notification

    Notification.objects.filter(kind="live_notice", channel="sms").update(status="retrying")
    purge()
    assert not Notification.objects.filter(kind="live_notice", channel="sms").exists()
