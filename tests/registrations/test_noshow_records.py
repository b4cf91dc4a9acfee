"""The no-show rule cannot be escaped by removing one's data: what the rule needs is kept,
for the no-show window only, as a keyed hash of the number with the dates."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from openday.privacy.retention import personal_data_purge
from openday.registrations import manage_link, services
from openday.registrations.models import NoShowRecord, Registration
from tests.factories import RegistrationFactory, SubEventFactory

pytestmark = pytest.mark.django_db

PHONE = "13800138000"


def missed(days_ago: int) -> Registration:
    ends = timezone.now() - dt.timedelta(days=days_ago)
    sub_event = SubEventFactory(starts_at=ends - dt.timedelta(hours=2), ends_at=ends)
    return RegistrationFactory(sub_event=sub_event, phone=PHONE)


def test_deleting_ones_data_from_a_manage_page_does_not_lift_a_suspension(client, sub_event, book):
    missed(days_ago=30)
    last = missed(days_ago=10)
    token = manage_link.issue(last)
    last.save()
    assert client.post(f"/r/{token}/delete/").status_code == 200
    last.refresh_from_db()
    assert last.anonymised_at is not None and last.phone == ""
    with pytest.raises(services.NoShowSuspended):
        book(sub_event)


def test_the_retention_purge_does_not_forget_a_no_show_the_window_still_counts(sub_event, book):
    # 180 days of retention, a 12-month window: the older no-show loses its number first.
    missed(days_ago=200)
    missed(days_ago=10)
    personal_data_purge(retention_days=180)
    assert Registration.objects.filter(phone=PHONE).count() == 1
    with pytest.raises(services.NoShowSuspended):
        book(sub_event)


def test_records_hold_no_phone_number():
    missed(days_ago=200)
    missed(days_ago=190)
    personal_data_purge(retention_days=180)
    for record in NoShowRecord.objects.all():
        stored = " ".join(str(value) for value in record.__dict__.values())
        assert PHONE not in stored


def test_records_are_purged_when_the_window_ends():
    first = missed(days_ago=200).sub_event
    second = missed(days_ago=10).sub_event
    personal_data_purge(retention_days=180)
    assert list(NoShowRecord.objects.values_list("sub_event", flat=True)) == [first.pk]
    # 200 days on, the first no-show is outside the 12-month window, the second is not.
    later = timezone.now() + dt.timedelta(days=200)
    result = personal_data_purge(retention_days=180, now=later)
    assert result.no_show_records == 1
    assert list(NoShowRecord.objects.values_list("sub_event", flat=True)) == [second.pk]


def test_no_records_of_activities_already_outside_the_window():
    missed(days_ago=400)
    personal_data_purge(retention_days=180)
    assert not NoShowRecord.objects.exists()


def test_staff_lifting_a_suspension_also_forgives_kept_records(sub_event, book):
    missed(days_ago=200)
    missed(days_ago=10)
    personal_data_purge(retention_days=180)
    services.no_show_suspension_lift(phone=PHONE)
    assert book(sub_event).registration.status == "confirmed"


def test_purge_command_counts_expired_records(capsys, english):
    call_command("purge_personal_data", "--dry-run")
    assert "no-show window" in capsys.readouterr().out


def test_privacy_notice_says_what_is_kept_of_missed_activities(client, english):
    page = client.get("/en/privacy/").content.decode()
    assert "coded form of your phone number" in page
    assert "12 months" in page
