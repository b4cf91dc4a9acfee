"""Check-in at the door and moving a registration, for the staff tools.

The check-in page, the admin action and the move action call only these functions. They
add what the door needs (the volunteer's activity, today's date) and leave the rules
themselves to the booking service: `registrations.services.registration_check_in` (once,
confirmed only, recorded) and `registration_move` (into free places, keeping the
reference). Refusals are the booking service's `CheckInRefused` family.
"""

from __future__ import annotations

import datetime as dt

from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from openday.registrations import services as booking
from openday.registrations.models import Registration


def registration_check_in(
    *,
    registration: Registration,
    sub_event_id: int | None = None,
    on_the_day: bool = True,
    name_other_activity: bool = True,
    by_staff=None,
    people: int | None = None,
    at: dt.datetime | None = None,
    device: str = "",
) -> Registration:
    """Mark a confirmed registration as arrived, once.

    `sub_event_id` is the activity whose door the volunteer stands at: another activity's
    ticket is refused. With `on_the_day`, a ticket for another day is refused too (the
    admin action passes False to record arrivals afterwards). `people`, `at` and `device`
    say how many of the party came, when and at which door. Raises a
    `booking.CheckInRefused` subclass whose message says why; the registration is left
    unchanged then.
    """
    refusal = check_in_refusal(
        registration,
        sub_event_id=sub_event_id,
        on_the_day=on_the_day,
        name_other_activity=name_other_activity,
        at=at,
    )
    if refusal is not None:
        raise refusal
    return booking.registration_check_in(
        registration=registration, by_staff=by_staff, people=people, at=at, device=device
    )


def check_in_refusal(
    registration: Registration,
    *,
    sub_event_id: int | None = None,
    on_the_day: bool = True,
    name_other_activity: bool = True,
    at: dt.datetime | None = None,
) -> booking.CheckInRefused | None:
    """Why this registration may not be checked in now, or None when it may. The check-in
    page asks before showing the button; the booking service checks again as it writes.

    A ticket for another activity is named only with `name_other_activity` (the caller
    passes False when that activity is not one the volunteer serves): nothing else of it
    is said, not even its status."""
    sub_event = registration.sub_event
    if sub_event_id is not None and registration.sub_event_id != sub_event_id:
        if not name_other_activity:
            return booking.WrongActivity(_("This ticket is for another activity."))
        return booking.WrongActivity(
            _("This ticket is for another activity: %(activity)s.") % {"activity": sub_event.title}
        )
    if registration.status == Registration.Status.CANCELLED:
        return booking.NotConfirmed(_("This registration was cancelled."))
    if registration.status == Registration.Status.WAITLISTED:
        return booking.NotConfirmed(_("This registration is on the waiting list, not confirmed."))
    if registration.checked_in_at is not None:
        return booking.AlreadyCheckedIn(registration.checked_in_at, registration.checked_in_device)
    day = timezone.localdate(at) if at is not None else timezone.localdate()
    if on_the_day and timezone.localdate(sub_event.starts_at) != day:
        return booking.WrongDay(
            _("This ticket is for %(date)s, not today.")
            % {"date": formats.date_format(timezone.localtime(sub_event.starts_at))}
        )
    return None


def registration_move(
    *,
    registration: Registration,
    to_sub_event_id: int,
    by_staff=None,
    allow_overlap: bool = False,
) -> list[Registration]:
    """Move the registration to another activity, keeping its reference and manage link;
    returns the registrations promoted from the old activity's waiting list. Raises
    `BookingError` (full, duplicate, closed...) when the new activity refuses; nothing is
    written then."""
    if registration.sub_event_id == to_sub_event_id:
        raise booking.BookingError(_("The registration is already for this activity."))
    return booking.registration_move(
        registration=registration,
        to_sub_event_id=to_sub_event_id,
        by_staff=by_staff,
        allow_overlap=allow_overlap,
    )
