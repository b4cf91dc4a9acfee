"""Figures about registrations that more than one page reports: the staff dashboard and
the public report after the open day read them from here, so a word like "attendance"
means the same on both.

Definitions:
- confirmed people: the party sizes of confirmed registrations;
- expected people: confirmed people at activities that have ended and were not
  cancelled (bookings for what is still to come say nothing about attendance yet);
- attended people: those of the expected people who were checked in;
- attendance: attended people as a share of expected people.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q, Sum
from django.db.models.functions import Now
from django.utils import timezone

from . import manage_link
from .models import Registration


def people_sums(*, registration: str = "", sub_event: str = "sub_event__") -> dict[str, Sum]:
    """Aggregates for `confirmed_people`, `waitlisted_people`, `checked_in_people`,
    `expected_people` and `attended_people`.

    The prefixes are the lookups from the model being aggregated to the registration and
    to its activity: the defaults aggregate registrations; `registration="registrations__",
    sub_event=""` annotates activities.
    """
    confirmed = Q(**{f"{registration}status": Registration.Status.CONFIRMED})
    waitlisted = Q(**{f"{registration}status": Registration.Status.WAITLISTED})
    arrived = Q(**{f"{registration}checked_in_at__isnull": False})
    finished = Q(**{f"{sub_event}ends_at__lte": Now(), f"{sub_event}is_cancelled": False})
    people = f"{registration}party_size"
    # Part of a party may come (3 of 4): arrivals count the people who came.
    came = f"{registration}checked_in_people"
    return {
        "confirmed_people": Sum(people, filter=confirmed, default=0),
        "waitlisted_people": Sum(people, filter=waitlisted, default=0),
        "checked_in_people": Sum(came, filter=confirmed & arrived, default=0),
        "expected_people": Sum(people, filter=confirmed & finished, default=0),
        "attended_people": Sum(came, filter=confirmed & finished & arrived, default=0),
    }


def attendance_percent(*, attended: int, expected: int) -> int | None:
    """Attendance in whole percent, or None while nobody was expected yet."""
    return round(100 * attended / expected) if expected else None


# Registrations of activities that ended longer ago than this are not offered again.
SHOWN_AFTER_END = timedelta(days=30)


def current_registrations_of(phone: str) -> list[tuple[Registration, str]]:
    """The number's registrations a person may still want (not anonymised, the activity
    not long over), soonest first, each with its manage link."""
    found = (
        Registration.objects.filter(
            phone=phone,
            anonymised_at__isnull=True,
            sub_event__ends_at__gte=timezone.now() - SHOWN_AFTER_END,
        )
        .select_related("sub_event__event", "sub_event__venue")
        .order_by("sub_event__starts_at", "pk")
    )
    return [
        (registration, path)
        for registration in found
        if (path := manage_link.manage_path(registration))
    ]
