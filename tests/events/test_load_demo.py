import pytest
from django.core.management import call_command
from django.utils import timezone

from openday.events.models import District, Event, Invitation, SubEvent, Venue
from openday.registrations.models import Registration

pytestmark = pytest.mark.django_db


def counts():
    return (
        Event.objects.count(),
        District.objects.count(),
        SubEvent.objects.count(),
        Invitation.objects.count(),
        Registration.objects.count(),
    )


def test_load_demo_builds_the_open_day():
    call_command("load_demo")
    event = Event.objects.get()
    assert event.theme == "青岛城管 在您身边"
    assert District.objects.count() == 10
    main = SubEvent.objects.get(is_main_venue=True)
    assert main.venue.name == "五四广场"
    assert main.agenda.count() == 6
    listed = {s.availability for s in SubEvent.objects.for_listing()}
    assert {"invitation_only", "waitlist", "cancelled", "past", "almost_full"} <= listed
    assert sum(sub_event.registration_open for sub_event in SubEvent.objects.all()) >= 10


def test_load_demo_twice_creates_nothing_new():
    call_command("load_demo")
    before = counts()
    call_command("load_demo")
    assert counts() == before


def test_load_demo_generates_volume_once():
    call_command("load_demo", subevents=5, registrations=40)
    before = counts()
    assert Registration.objects.filter(sub_event__title__startswith="[bench]").count() == 40
    call_command("load_demo", subevents=5, registrations=40)
    assert counts() == before
    for sub_event in SubEvent.objects.with_places_left():
        assert sub_event.confirmed_places <= sub_event.capacity


def test_load_demo_looks_like_a_real_open_day():
    call_command("load_demo")
    # Booked over the days since booking opened, so the dashboard's chart is a trend.
    days = {
        timezone.localdate(at) for at in Registration.objects.values_list("created_at", flat=True)
    }
    assert len(days) >= 6
    assert Registration.objects.exclude(email="").exists()
    assert Registration.objects.filter(email="").exists()
    assert Registration.objects.filter(party_size__gt=1).exists()
    assert not Venue.objects.filter(latitude__isnull=True).exists()
    # Invited guests booked with their codes, and something happens today.
    assert Registration.objects.filter(invitation__sub_event__is_main_venue=True).count() >= 50
    groups = Registration.objects.filter(participants__isnull=False).distinct()
    assert groups.count() >= 3
    for group in groups:
        assert group.invitation is not None
        assert group.participants.count() == group.party_size - 1
        assert group.party_size > group.sub_event.max_party_size
    today = timezone.localdate()
    assert any(timezone.localdate(s.starts_at) == today for s in SubEvent.objects.all())
