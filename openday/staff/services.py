"""Check-in at the door and moving a registration, for the staff tools.

The check-in page, the admin action and the move action call only these two functions.
Check-in changes `checked_in_at` and nothing that counts seats. A move books the new
activity through `registrations.services.registration_create` and then cancels the old
registration through `registration_cancel` (which promotes that waiting list), inside one
transaction: if the new activity refuses, nothing changes.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from openday.registrations import services as booking
from openday.registrations.models import Registration


class CheckInRefused(Exception):
    code = "refused"
    message = _("This ticket cannot be checked in.")

    def __init__(self, message=None, registration: Registration | None = None):
        if message is not None:
            self.message = message
        self.registration = registration
        super().__init__(str(self.message))


class AlreadyCheckedIn(CheckInRefused):
    code = "already_checked_in"


class NotConfirmed(CheckInRefused):
    code = "not_confirmed"


class WrongActivity(CheckInRefused):
    code = "wrong_activity"


class WrongDay(CheckInRefused):
    code = "wrong_day"


def registration_check_in(
    *, registration: Registration, sub_event_id: int | None = None, on_the_day: bool = True
) -> Registration:
    """Mark a confirmed registration as arrived, once.

    `sub_event_id` is the activity whose door the volunteer stands at: another activity's
    ticket is refused. With `on_the_day`, a ticket for another day is refused too (the
    admin action passes False to record arrivals afterwards). Raises a `CheckInRefused`
    subclass whose message says why; the registration is left unchanged then.
    """
    with transaction.atomic():
        current = (
            # Lock the registration only: the activity's row is the booking service's.
            Registration.objects.select_for_update(of=("self",))
            .select_related("sub_event")
            .get(pk=registration.pk)
        )
        refusal = check_in_refusal(current, sub_event_id=sub_event_id, on_the_day=on_the_day)
        if refusal is not None:
            raise refusal
        current.checked_in_at = timezone.now()
        current.save(update_fields=["checked_in_at", "updated_at"])
    registration.checked_in_at = current.checked_in_at
    return current


def check_in_refusal(
    registration: Registration, *, sub_event_id: int | None = None, on_the_day: bool = True
) -> CheckInRefused | None:
    """Why this registration may not be checked in now, or None when it may. The check-in
    page asks before showing the button; `registration_check_in` asks again under lock."""
    sub_event = registration.sub_event
    if sub_event_id is not None and registration.sub_event_id != sub_event_id:
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
        return AlreadyCheckedIn(
            _("Already checked in at %(time)s.")
            % {"time": formats.time_format(timezone.localtime(registration.checked_in_at), "H:i")},
            registration,
        )
    if on_the_day and timezone.localdate(sub_event.starts_at) != timezone.localdate():
        return WrongDay(
            _("This ticket is for %(date)s, not today.")
            % {"date": formats.date_format(timezone.localtime(sub_event.starts_at))},
            registration,
        )
    return None


def registration_move(*, registration: Registration, to_sub_event_id: int, by_staff=None):
    """Book the same person and party on another activity, then cancel this registration.

    Returns the new `Booking`. Raises `BookingError` (full, duplicate, closed...) from the
    booking service when the new activity refuses; nothing is written then.
    """
    if registration.status == Registration.Status.CANCELLED:
        raise booking.BookingError(_("A cancelled registration cannot be moved."))
    if registration.sub_event_id == to_sub_event_id:
        raise booking.BookingError(_("The registration is already for this activity."))
    with transaction.atomic():
        new = booking.registration_create(
            sub_event_id=to_sub_event_id,
            name=registration.name,
            phone=registration.phone,
            email=registration.email,
            party_size=registration.party_size,
            source=Registration.Source.STAFF,
            language=registration.language,
            created_by=by_staff,
        )
        booking.registration_cancel(registration=registration, by_staff=by_staff)
    return new
