import pytest
from django.core.management import call_command

from openday.events.models import District, Event, Invitation, SubEvent
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
