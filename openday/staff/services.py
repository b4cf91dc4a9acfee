"""Check-in at the door and moving a registration, for the staff tools.

The check-in page, the admin action and the move action call only these two functions.
They add what the door needs (the volunteer's activity, today's date) and leave the rules
themselves to the booking service: `registrations.services.registration_check_in` (once,
confirmed only) and `registration_move` (into free places, keeping the reference).
"""

from __future__ import annotations

import datetime as dt

from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from openday.core.refusals import Refusal
from openday.registrations import services as booking
from openday.registrations.models import Registration


class CheckInRefused(Refusal):
    code = "refused"
    message = _("This ticket cannot be checked in.")

    def __init__(self, message=None, registration: Registration | None = None):
        self.registration = registration
        super().__init__(message)


class AlreadyCheckedIn(CheckInRefused):
    code = "already_checked_in"


class NotConfirmed(CheckInRefused):
    code = "not_confirmed"


class WrongActivity(CheckInRefused):
    code = "wrong_activity"


class WrongDay(CheckInRefused):
    code = "wrong_day"


def registration_check_in(
    *,
    registration: Registration,
    sub_event_id: int | None = None,
    on_the_day: bool = True,
    people: int | None = None,
    at: dt.datetime | None = None,
    device: str = "",
    name_other_activity: bool = True,
) -> Registration:
    """Mark a confirmed registration as arrived, once.

    `sub_event_id` is the activity whose door the volunteer stands at: another activity's
    ticket is refused. With `on_the_day`, a ticket for another day is refused too (the
    admin action passes False to record arrivals afterwards). Raises a `CheckInRefused`
    subclass whose message says why; the registration is left unchanged then.
    """
    refusal = check_in_refusal(
        registration,
        sub_event_id=sub_event_id,
        on_the_day=on_the_day,
        at=at,
        name_other_activity=name_other_activity,
    )
    if refusal is not None:
        raise refusal
    try:
        return booking.registration_check_in(
            registration=registration, people=people, at=at, device=device
        )
    except booking.AlreadyCheckedIn as error:
        raise already_checked_in(registration) from error
    except booking.NotConfirmed as error:
        raise NotConfirmed(error.message, registration) from error


def check_in_refusal(
    registration: Registration,
    *,
    sub_event_id: int | None = None,
    on_the_day: bool = True,
    at: dt.datetime | None = None,
    name_other_activity: bool = True,
) -> CheckInRefused | None:
    """Why this registration may not be checked in now, or None when it may. The check-in
    page asks before showing the button; `registration_check_in` checks status and time
    again in one conditional UPDATE.

    A ticket for another activity is named only with `name_other_activity` (the caller
    passes False when that activity is not one the volunteer serves): nothing else of it
    is said, not even its status."""
    sub_event = registration.sub_event
    if sub_event_id is not None and registration.sub_event_id != sub_event_id:
        if not name_other_activity:
            return WrongActivity(_("This ticket is for another activity."), registration)
        return WrongActivity(
            _("This ticket is for another activity: %(activity)s.") % {"activity": sub_event.title},
            registration,
        )
    if registration.status == Registration.Status.CANCELLED:
        return NotConfirmed(_("This registration was cancelled."), registration)
    if registration.status == Registration.Status.WAITLISTED:
        return NotConfirmed(
            _("This registration is on the waiting list, not confirmed."), registration
        )
    if registration.checked_in_at is not None:
        return already_checked_in(registration)
    day = timezone.localdate(at) if at is not None else timezone.localdate()
    if on_the_day and timezone.localdate(sub_event.starts_at) != day:
        return WrongDay(
            _("This ticket is for %(date)s, not today.")
            % {"date": formats.date_format(timezone.localtime(sub_event.starts_at))},
            registration,
        )
    return None


def already_checked_in(registration: Registration) -> AlreadyCheckedIn:
    """ "Already checked in at 10:02 at door-2": the time, and the door when one was named."""
    time = formats.time_format(timezone.localtime(registration.checked_in_at), "H:i")
    if registration.checked_in_device:
        message = _("Already checked in at %(time)s at %(door)s.") % {
            "time": time,
            "door": registration.checked_in_device,
        }
    else:
        message = _("Already checked in at %(time)s.") % {"time": time}
    return AlreadyCheckedIn(message, registration)


def registration_move(
    *, registration: Registration, to_sub_event_id: int, by_staff=None
) -> list[Registration]:
    """Move the registration to another activity, keeping its reference and manage link;
    returns the registrations promoted from the old activity's waiting list. Raises
    `BookingError` (full, duplicate, closed...) when the new activity refuses; nothing is
    written then."""
    if registration.sub_event_id == to_sub_event_id:
        raise booking.BookingError(_("The registration is already for this activity."))
    return booking.registration_move(
        registration=registration, to_sub_event_id=to_sub_event_id, by_staff=by_staff
    )
