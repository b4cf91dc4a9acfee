import datetime as dt

import pytest
from django.utils import timezone, translation

from openday.registrations import services
from openday.registrations.models import Registration
from tests.factories import RegistrationFactory, SubEventFactory

pytestmark = pytest.mark.django_db

PHONE = "13800138000"


def past_sub_event(days_ago: int):
    ends = timezone.now() - dt.timedelta(days=days_ago)
    return SubEventFactory(starts_at=ends - dt.timedelta(hours=2), ends_at=ends)


def missed(days_ago: int, **fields):
    return RegistrationFactory(sub_event=past_sub_event(days_ago), phone=PHONE, **fields)


def test_two_no_shows_suspend_the_phone_for_ninety_days(sub_event, book):
    missed(days_ago=30)
    last = missed(days_ago=10)
    with pytest.raises(services.NoShowSuspended) as error:
        book(sub_event)
    assert error.value.code == "suspended"
    assert error.value.until == last.sub_event.ends_at + dt.timedelta(days=90)
    assert not Registration.objects.filter(sub_event=sub_event).exists()


def test_one_no_show_does_not_suspend(sub_event, book):
    missed(days_ago=10)
    assert book(sub_event).registration.status == "confirmed"


def test_checked_in_or_cancelled_in_time_are_not_no_shows(sub_event, book):
    missed(days_ago=30, checked_in_at=timezone.now() - dt.timedelta(days=30))
    early = missed(days_ago=10, status="cancelled")
    early.cancelled_at = early.sub_event.starts_at - dt.timedelta(days=1)
    early.save()
    assert book(sub_event).registration.status == "confirmed"


def test_cancelling_after_the_start_counts_as_a_no_show(sub_event, book):
    missed(days_ago=30)
    late = missed(days_ago=10, status="cancelled")
    late.cancelled_at = late.sub_event.starts_at + dt.timedelta(minutes=30)
    late.save()
    with pytest.raises(services.NoShowSuspended):
        book(sub_event)


def test_no_shows_older_than_the_window_or_at_cancelled_activities_do_not_count(sub_event, book):
    missed(days_ago=400)
    cancelled = missed(days_ago=20)
    cancelled.sub_event.is_cancelled = True
    cancelled.sub_event.save()
    missed(days_ago=10)
    assert book(sub_event).registration.status == "confirmed"


def test_suspension_ends_after_the_ban_period(sub_event, book):
    missed(days_ago=120)
    missed(days_ago=100)
    assert book(sub_event).registration.status == "confirmed"


def test_no_show_rule_follows_settings(sub_event, settings, book):
    settings.OPENDAY_NOSHOW_LIMIT = 3
    missed(days_ago=30)
    missed(days_ago=10)
    assert book(sub_event).registration.status == "confirmed"


def test_no_show_rule_off_with_limit_zero(sub_event, settings, book):
    settings.OPENDAY_NOSHOW_LIMIT = 0
    missed(days_ago=30)
    missed(days_ago=10)
    assert book(sub_event).registration.status == "confirmed"


def test_staff_lifting_the_suspension_forgives_past_no_shows(sub_event, superuser, book):
    missed(days_ago=30)
    missed(days_ago=10)
    pardon = services.no_show_suspension_lift(
        phone="138 0013 8000", by_staff=superuser, note="生病"
    )
    assert (pardon.phone, pardon.created_by) == (PHONE, superuser)
    assert services.no_show_suspended_until(PHONE) is None
    assert book(sub_event).registration.status == "confirmed"


def test_staff_may_register_a_suspended_phone_on_their_behalf(sub_event, superuser, book):
    missed(days_ago=30)
    missed(days_ago=10)
    booking = book(sub_event, source=Registration.Source.STAFF, created_by=superuser)
    assert booking.registration.status == "confirmed"


def test_suspension_message_names_the_date(sub_event, book):
    missed(days_ago=30)
    last = missed(days_ago=10)
    # The language is set here: an earlier test's request may have left another active.
    with translation.override("zh-hans"), pytest.raises(services.NoShowSuspended) as error:
        book(sub_event)
    until = timezone.localtime(last.sub_event.ends_at + dt.timedelta(days=90))
    assert f"{until.year}年{until.month}月{until.day}日" in str(error.value.message)
