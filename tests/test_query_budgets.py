"""Query budgets: every API endpoint and filtered admin changelist runs the same number
of SQL queries with a few rows as with many, and no more than its budget.

The page cache is off here (tests/conftest.py), so these count the work of rendering.
To add an endpoint, add one line to PUBLIC_PAGES (and its budget to BUDGETS). The HTML
pages are pinned exactly in tests/events/test_views.py and tests/registrations/
test_views.py; unfiltered admin changelists in tests/test_admin.py.
"""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from openday.events.models import District, Event, SubEvent
from openday.registrations.models import Registration
from tests import factories

pytestmark = pytest.mark.django_db


@dataclass
class Programme:
    event: Event
    sub_event: SubEvent


def add_sub_events(event: Event, count: int, registrations_each: int) -> SubEvent:
    """Sub-events in several districts, formats and venues, each with an agenda, an
    invitation and registrations (confirmed, waitlisted, cancelled)."""
    statuses = [
        Registration.Status.CONFIRMED,
        Registration.Status.WAITLISTED,
        Registration.Status.CANCELLED,
    ]
    venue = factories.VenueFactory()
    sub_event = None
    for index in range(count):
        sub_event = factories.SubEventFactory(
            event=event,
            venue=venue if index % 2 else factories.VenueFactory(),
            capacity=50,
            starts_at=timezone.now() + dt.timedelta(days=2, hours=index),
        )
        factories.AgendaItemFactory(sub_event=sub_event)
        factories.AgendaItemFactory(sub_event=sub_event, starts_at=dt.time(10, 30))
        factories.InvitationFactory(sub_event=sub_event, seats=2)
        for number in range(registrations_each):
            factories.RegistrationFactory(sub_event=sub_event, status=statuses[number % 3])
    return sub_event


@pytest.fixture
def programme() -> Programme:
    event = factories.EventFactory()
    return Programme(event=event, sub_event=add_sub_events(event, 1, 1))


def grow(programme: Programme) -> None:
    """Many more rows of every kind the pages show, and a second open day."""
    add_sub_events(programme.event, 12, 4)
    venue = programme.sub_event.venue
    for index in range(4):
        factories.SubEventFactory(event=programme.event, venue=venue, title=f"同场地活动{index}")
    later = programme.event.starts_on + dt.timedelta(days=30)
    other = factories.EventFactory(starts_on=later, ends_on=later + dt.timedelta(days=2))
    add_sub_events(other, 3, 2)


PUBLIC_PAGES = {
    "api-events": lambda p: "/api/v1/events",
    "api-event": lambda p: f"/api/v1/events/{p.event.slug}",
    "api-subevents": lambda p: "/api/v1/subevents",
    "api-subevents-filtered": lambda p: (
        f"/api/v1/subevents?event={p.event.slug}&district={p.sub_event.district.slug}"
    ),
    "api-subevent": lambda p: f"/api/v1/subevents/{p.sub_event.pk}",
}

# The most queries each page may run, whatever the number of rows.
BUDGETS = {
    "api-events": 3,
    "api-event": 3,
    "api-subevents": 3,
    "api-subevents-filtered": 5,
    "api-subevent": 3,
}


def count_queries(client, url: str) -> tuple[int, int]:
    client.get(url)  # warm: content types, translations, anything loaded once per process
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response.status_code, len(queries)


@pytest.mark.parametrize("page", PUBLIC_PAGES)
def test_public_page_queries_do_not_grow_with_rows(client, programme, page):
    url = PUBLIC_PAGES[page](programme)
    status, few = count_queries(client, url)
    if status == 404 and page.startswith("api-"):
        pytest.skip(f"{url} is not served by this build (the JSON API is not installed)")
    assert status == 200
    grow(programme)
    status, many = count_queries(client, PUBLIC_PAGES[page](programme))
    assert status == 200
    assert many == few
    assert many <= BUDGETS[page]


def test_public_pages_all_have_budgets():
    assert set(BUDGETS) == set(PUBLIC_PAGES)


# --- admin changelists, filtered and searched, as staff use them on the day ------------


def admin_changelists() -> dict[str, str]:
    event = Event.objects.get(slug="open-day")
    district = District.objects.get(slug="shinan")
    registrations = reverse("admin:registrations_registration_changelist")
    sub_events = reverse("admin:events_subevent_changelist")
    invitations = reverse("admin:events_invitation_changelist")
    return {
        "registrations by status": f"{registrations}?status__exact=confirmed",
        "registrations by open day": f"{registrations}?sub_event__event__id__exact={event.pk}",
        "registrations by district": (
            f"{registrations}?sub_event__district__id__exact={district.pk}"
        ),
        "registrations by phone": f"{registrations}?q=139",
        "registrations by activity search": f"{registrations}?q=执法",
        "registrations second page": f"{registrations}?p=2",
        "activities of an open day": f"{sub_events}?event__id__exact={event.pk}",
        "activities by district": f"{sub_events}?district__id__exact={district.pk}",
        "activities by places left": f"{sub_events}?o=7",
        "invitations of an open day": f"{invitations}?sub_event__event__id__exact={event.pk}",
    }


ADMIN_CHANGELISTS = [
    "registrations by status",
    "registrations by open day",
    "registrations by district",
    "registrations by phone",
    "registrations by activity search",
    "registrations second page",
    "activities of an open day",
    "activities by district",
    "activities by places left",
    "invitations of an open day",
]


@pytest.mark.parametrize("name", ADMIN_CHANGELISTS)
def test_admin_filtered_changelist_queries_do_not_grow_with_rows(admin_client, name):
    call_command("load_demo")
    status, few = count_queries(admin_client, admin_changelists()[name])
    assert status == 200
    call_command("load_demo", subevents=40, registrations=300)
    status, many = count_queries(admin_client, admin_changelists()[name])
    assert status == 200
    assert many == few


def test_admin_changelist_names_match_urls():
    call_command("load_demo")
    assert set(admin_changelists()) == set(ADMIN_CHANGELISTS)
