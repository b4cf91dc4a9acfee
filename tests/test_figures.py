"""Figures defined once (`registrations.selectors`, `SubEvent.registration_open`) give the
same answer on every page that reports them."""

import datetime as dt
import itertools

import pytest
from django.urls import reverse
from django.utils import timezone

from openday.feedback.report import report_build
from openday.registrations import services
from openday.staff import dashboard
from openday.staff import services as staff_services
from tests import factories

pytestmark = pytest.mark.django_db


def test_dashboard_and_public_report_agree_on_attendance(admin_client, superuser):
    event = factories.EventFactory()
    now = timezone.now()
    ended = factories.SubEventFactory(
        event=event, starts_at=now - dt.timedelta(hours=3), ends_at=now - dt.timedelta(hours=1)
    )
    # Four expected at the activity that has ended, three came.
    for index in range(4):
        factories.RegistrationFactory(
            sub_event=ended, checked_in_at=now - dt.timedelta(hours=2) if index else None
        )
    # Checked in early for what is still to come, and booked on a cancelled activity:
    # neither says anything about attendance.
    later = factories.SubEventFactory(event=event)
    factories.RegistrationFactory(sub_event=later, checked_in_at=now)
    cancelled = factories.SubEventFactory(
        event=event,
        is_cancelled=True,
        starts_at=now - dt.timedelta(hours=3),
        ends_at=now - dt.timedelta(hours=1),
    )
    factories.RegistrationFactory(sub_event=cancelled)
    # The report covers published activities that were not cancelled; so does attendance.
    staff_view = dashboard.event_report(event, superuser)
    public_view = report_build(event=event)
    assert staff_view.total.attendance_rate == public_view.attendance_percent == 75
    assert (public_view.people_attended, public_view.people_registered_finished) == (3, 4)
    page = admin_client.get(reverse("staff:dashboard"), {"event": event.pk})
    assert page.context["report"].total.attendance_rate == 75


def test_registration_open_means_the_same_for_a_card_and_the_booking_service():
    now = timezone.now()
    hour = dt.timedelta(hours=1)
    cases = itertools.product(
        [True, False],  # registration required
        [True, False],  # published
        [True, False],  # cancelled
        [now + hour, now - hour],  # starts
        [None, now - hour, now + hour],  # opens
        [None, now + 2 * hour, now - 2 * hour],  # closes
    )
    made = []
    for required, published, cancelled, starts, opens, closes in cases:
        if opens and closes and closes <= opens:
            continue
        made.append(
            factories.SubEventFactory(
                registration_required=required,
                is_published=published,
                is_cancelled=cancelled,
                starts_at=starts,
                ends_at=starts + 3 * hour,
                registration_opens_at=opens,
                registration_closes_at=closes,
            )
        )
    by_row = {sub_event.pk for sub_event in made if sub_event.registration_open}
    by_service = set()
    for number, sub_event in enumerate(made):
        try:
            services.registration_create(
                sub_event_id=sub_event.pk, name="王芳", phone=f"138{number:08d}"
            )
        except services.BookingError:
            continue
        by_service.add(sub_event.pk)
    assert by_service == by_row
    assert by_row  # some are open, some are not
    assert len(by_row) < len(made)


def test_check_in_refusals_are_one_family(sub_event):
    registration = factories.RegistrationFactory(sub_event=sub_event, status="waitlisted")
    door = staff_services.check_in_refusal(registration, on_the_day=False)
    with pytest.raises(services.CheckInRefused) as at_the_core:
        services.registration_check_in(registration=registration)
    assert isinstance(door, services.CheckInRefused)
    assert door.code == at_the_core.value.code == "not_confirmed"
