"""The booking rules: the only place that creates, cancels or promotes registrations.

The HTML views, the API, the admin and the management commands all call these functions;
none of them changes a registration's status or party size by itself.

Invariant, on PostgreSQL and SQLite alike: for every sub-event, the sum of `party_size`
over confirmed registrations never exceeds `capacity`, and public bookings never take the
seats that invitations hold.

Locking (pretix's rule): in one transaction, lock the sub-event row, the thing that
becomes less available, re-read what is left, then write. On PostgreSQL that is
`SELECT ... FOR UPDATE`; on SQLite every write transaction starts IMMEDIATE (settings), so
writers are serialised by the database and wait for each other. The unique constraint on
(sub-event, phone) is the last line of defence against duplicates.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from openday.events.models import Invitation, SubEvent

from . import notifications
from .models import Registration, new_reference
from .phone import normalise_phone

logger = logging.getLogger(__name__)


class BookingError(Exception):
    """A booking rule refused the request. `code` is stable (API clients rely on it);
    `message` is for people, in their language."""

    code = "error"
    message = _("The registration could not be completed.")

    def __init__(self, message=None):
        if message is not None:
            self.message = message
        super().__init__(str(self.message))


class RegistrationClosed(BookingError):
    code = "closed"
    message = _("Registration for this activity is closed.")


class RegistrationFull(BookingError):
    code = "full"
    message = _("Sorry, this activity is full.")


class DuplicateRegistration(BookingError):
    code = "duplicate"
    message = _("This phone number is already registered for this activity.")


class InvalidInvitationCode(BookingError):
    code = "invalid_code"
    message = _("This invitation code is not valid for this activity.")


class InvalidPartySize(BookingError):
    code = "invalid_party_size"
    message = _("The party size is not allowed for this activity.")


@dataclass(frozen=True)
class Booking:
    """A new registration and its manage token, which exists only here and in what is
    handed to the person (page, e-mail): the database keeps its hash."""

    registration: Registration
    token: str

    @property
    def manage_url(self) -> str:
        return Registration.manage_url_for(self.token)


def _lock_sub_event(sub_event_id: int) -> SubEvent:
    """Lock the sub-event row and return it with its places annotated. Every booking,
    cancellation and promotion of one sub-event queues here."""
    SubEvent.objects.select_for_update().filter(pk=sub_event_id).values_list("pk").get()
    # Read after the lock, so the counts include every transaction that held it before.
    return SubEvent.objects.with_places_left().select_related("event").get(pk=sub_event_id)


def _check_window(sub_event: SubEvent, *, staff: bool) -> None:
    if sub_event.is_cancelled or sub_event.is_past or not sub_event.registration_required:
        raise RegistrationClosed()
    # Staff may register someone outside the online window (a phone call on the morning
    # itself), but never for a cancelled or finished activity.
    if not staff and not sub_event.registration_open:
        raise RegistrationClosed()


def _invitation_for(sub_event: SubEvent, code: str) -> Invitation:
    code = (code or "").strip().upper()
    if not code:
        raise InvalidInvitationCode()
    invitation = Invitation.objects.filter(sub_event=sub_event, code=code).first()
    if invitation is None:
        raise InvalidInvitationCode()
    return invitation


def registration_create(
    *,
    sub_event_id: int,
    name: str,
    phone: str,
    email: str = "",
    party_size: int = 1,
    invitation_code: str = "",
    source: str = Registration.Source.WEB,
    language: str | None = None,
    created_by=None,
) -> Booking:
    """Book `party_size` places on a sub-event, or put the party on its waiting list.

    Raises a `BookingError` subclass when a rule refuses; nothing is written then.
    `phone` may be in any spelling `normalise_phone` accepts; callers validate input
    (forms, API schemas) before calling, this re-checks what the rules depend on.
    """
    phone = normalise_phone(phone)
    name = name.strip()
    staff = source in (Registration.Source.STAFF, Registration.Source.IMPORT)
    with transaction.atomic():
        sub_event = _lock_sub_event(sub_event_id)
        _check_window(sub_event, staff=staff)
        if not 1 <= party_size <= sub_event.max_party_size:
            raise InvalidPartySize()
        if Registration.objects.active().filter(sub_event=sub_event, phone=phone).exists():
            raise DuplicateRegistration()

        invitation = None
        if invitation_code:
            invitation = _invitation_for(sub_event, invitation_code)
            used = sum(invitation.registrations.confirmed().values_list("party_size", flat=True))
            seats_left = min(
                invitation.seats - used, sub_event.capacity - sub_event.confirmed_places
            )
            if party_size > seats_left:
                raise RegistrationFull(_("The places for this invitation are all taken."))
            status = Registration.Status.CONFIRMED
        elif party_size <= sub_event.places_left:
            status = Registration.Status.CONFIRMED
        elif sub_event.waitlist_enabled:
            status = Registration.Status.WAITLISTED
        else:
            raise RegistrationFull()

        now = timezone.now()
        registration = Registration(
            sub_event=sub_event,
            invitation=invitation,
            name=name,
            phone=phone,
            email=email.strip(),
            party_size=party_size,
            status=status,
            source=source,
            language=language or settings.LANGUAGE_CODE,
            consent_version=settings.OPENDAY_CONSENT_VERSION,
            consent_given_at=now,
            created_by=created_by,
        )
        token = registration.set_manage_token()
        _save_new(registration)
        booking = Booking(registration=registration, token=token)
        transaction.on_commit(lambda: notifications.registration_created(booking))
    return booking


def _save_new(registration: Registration) -> None:
    """Insert a registration. A clash on the random reference draws a new one; a clash on
    the phone constraint is a duplicate that slipped past the check (a double-click racing
    itself where the database does not serialise writers)."""
    for attempt in range(5):
        try:
            with transaction.atomic():
                registration.save(force_insert=True)
            return
        except IntegrityError as exc:
            duplicate = (
                Registration.objects.active()
                .filter(sub_event_id=registration.sub_event_id, phone=registration.phone)
                .exists()
            )
            if duplicate:
                raise DuplicateRegistration() from exc
            reference_taken = Registration.objects.filter(reference=registration.reference).exists()
            if attempt == 4 or not reference_taken:
                raise
            registration.reference = new_reference()


def registration_cancel(*, registration: Registration, by_staff=None) -> list[Registration]:
    """Cancel a registration. A confirmed place goes at once to the waiting list; returns
    the registrations that were promoted (and will be told). Cancelling twice is a no-op."""
    with transaction.atomic():
        sub_event = _lock_sub_event(registration.sub_event_id)
        current = Registration.objects.select_for_update().get(pk=registration.pk)
        if current.status == Registration.Status.CANCELLED:
            registration.refresh_from_db()
            return []
        freed = current.status == Registration.Status.CONFIRMED
        current.status = Registration.Status.CANCELLED
        current.cancelled_at = timezone.now()
        current.save(update_fields=["status", "cancelled_at", "updated_at"])
        promoted = promote_waitlist(sub_event=sub_event) if freed else []
    registration.refresh_from_db()
    return promoted


def promote_waitlist(*, sub_event: SubEvent) -> list[Registration]:
    """Move waitlisted parties to confirmed, first come first served, each one that fits
    in the places left (a party of three waits while a later party of one fits).

    The caller holds the lock on `sub_event` (from `_lock_sub_event`), or calls
    `sub_event_promote_waitlist`, which takes it.
    """
    if sub_event.is_cancelled or sub_event.is_past:
        return []
    left = SubEvent.objects.with_places_left().get(pk=sub_event.pk).places_left
    promoted = []
    if left <= 0:
        return promoted
    now = timezone.now()
    waiting = (
        Registration.objects.waitlisted().filter(sub_event=sub_event).order_by("created_at", "pk")
    )
    for registration in waiting.select_for_update():
        if registration.party_size > left:
            continue
        registration.status = Registration.Status.CONFIRMED
        registration.promoted_at = now
        registration.save(update_fields=["status", "promoted_at", "updated_at"])
        promoted.append(registration)
        left -= registration.party_size
        if left <= 0:
            break
    for registration in promoted:
        transaction.on_commit(
            lambda registration=registration: notifications.registration_promoted(registration)
        )
    return promoted


def sub_event_promote_waitlist(*, sub_event_id: int) -> list[Registration]:
    """Fill places that opened up without a cancellation (more capacity, invitation places
    released) from the waiting list."""
    with transaction.atomic():
        sub_event = _lock_sub_event(sub_event_id)
        return promote_waitlist(sub_event=sub_event)
