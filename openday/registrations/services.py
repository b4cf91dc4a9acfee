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

import datetime as dt
import functools
import logging
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import F, Max, Q
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from openday.core.phone import normalise_phone, phone_digest
from openday.core.refusals import Refusal
from openday.events.models import Invitation, SubEvent
from openday.notifications import services as notify

from . import idempotency, manage_link, sold_out
from .models import (
    NoShowPardon,
    NoShowRecord,
    Participant,
    PhoneLock,
    Registration,
    RegistrationLog,
    needs_normalise,
    new_reference,
)

logger = logging.getLogger(__name__)


class BookingError(Refusal):
    """A booking rule refused the request."""

    code = "error"
    message = _("The registration could not be completed.")


class RegistrationClosed(BookingError):
    code = "closed"
    message = _("Registration for this activity is closed.")


class RegistrationFull(BookingError):
    code = "full"
    message = _("Sorry, this activity is full.")


class RegistrationSoldOut(RegistrationFull):
    """Full, as the cache says (`sold_out`): said without looking up the phone number, so
    it reassures whoever booked already."""

    message = _(
        "Sorry, this activity is full. If you registered for it earlier, your registration"
        " stands: the link in your confirmation shows it."
    )


class DuplicateRegistration(BookingError):
    code = "duplicate"
    message = _("This phone number is already registered for this activity.")


class DuplicateRegistrationLinkSent(DuplicateRegistration):
    """A verified number that holds a place here: told so, and its link texted again."""

    message = _(
        "This phone number is already registered for this activity. The link to your "
        "registration has been sent to it again."
    )


class InvalidInvitationCode(BookingError):
    code = "invalid_code"
    message = _("This invitation code is not valid for this activity.")


class InvalidPartySize(BookingError):
    code = "invalid_party_size"
    message = _("The party size is not allowed for this activity.")


class NoShowSuspended(BookingError):
    """The phone number missed too many activities; `until` is when it may book again."""

    code = "suspended"

    def __init__(self, until: dt.datetime):
        self.until = until
        super().__init__(
            _(
                "This phone number did not turn up at activities it had booked, so it may "
                "register again from %(date)s. Please contact the organisers if this is wrong."
            )
            % {"date": formats.date_format(timezone.localtime(until), "DATE_FORMAT")}
        )


class Busy(BookingError):
    """Too many bookings at the same moment: the database did not hand out its lock in
    time. Nothing was written; trying again in a moment works."""

    code = "busy"
    message = _("Too many people are registering right now. Please try again in a moment.")


class CheckInRefused(BookingError):
    """A ticket that may not be checked in (now, at this door); the message says why."""

    code = "refused"
    message = _("This ticket cannot be checked in.")


class NotConfirmed(CheckInRefused):
    code = "not_confirmed"
    message = _("Only a confirmed registration can be checked in.")


class AlreadyCheckedIn(CheckInRefused):
    """Checked in before; `checked_in_at` says when, for the person at the door."""

    code = "already_checked_in"

    def __init__(self, checked_in_at: dt.datetime, device: str = ""):
        self.checked_in_at = checked_in_at
        self.device = device
        time = formats.time_format(timezone.localtime(checked_in_at), "H:i")
        if device:
            message = _("Already checked in at %(time)s at %(door)s.") % {
                "time": time,
                "door": device,
            }
        else:
            message = _("Already checked in at %(time)s.") % {"time": time}
        super().__init__(message)


class WrongActivity(CheckInRefused):
    code = "wrong_activity"


class WrongDay(CheckInRefused):
    code = "wrong_day"


class RegistrationNotActive(BookingError):
    code = "cancelled"
    message = _("This registration has been cancelled.")


class CancellationClosed(RegistrationClosed):
    """Too late to cancel: the activity has started (or, for staff, ended)."""

    message = _("The activity has started; it can no longer be cancelled.")


class CapacityBelowConfirmed(BookingError):
    """Staff tried to set fewer places than are already confirmed."""

    code = "capacity_below_confirmed"

    def __init__(self, confirmed: int):
        self.confirmed = confirmed
        super().__init__(
            _(
                "%(count)d places are already confirmed for this activity: the capacity "
                "cannot be lower. Cancel or move registrations first."
            )
            % {"count": confirmed}
        )


class OverlappingRegistration(BookingError):
    """The number already holds a place (confirmed or waiting) at an activity whose time
    overlaps this one. Said without naming it: anyone can type a number."""

    code = "overlap"
    message = _(
        "This phone number already holds a place at another activity at the same time. "
        "Cancel that registration first, or choose an activity at another time."
    )


class InvalidName(BookingError):
    code = "invalid_name"
    message = _("Enter your name.")


class InvalidParticipants(BookingError):
    code = "invalid_participants"
    message = _("Enter the name of every other member of the group, one per line.")


class ParticipantsLocked(BookingError):
    code = "closed"
    message = _("The names of a group can be changed until the day before the activity.")


class BookingRefused(BookingError):
    """The one public answer, until a phone number is verified, for every refusal whose
    reason could depend on the number (`public_refusal`)."""

    code = "refused"
    message = _(
        "This registration could not be made: the activity may be full, or this phone "
        "number may not register for it now. If you registered earlier, the link in your "
        "confirmation shows your registration."
    )


# Refusals that tell something about a phone number: it holds a place here or at the
# same time, or missed activities. "Full" belongs with them: on a full activity a number
# that booked would otherwise hear "duplicate" and every other number "full".
NUMBER_DEPENDENT_REFUSALS = (
    RegistrationFull,
    DuplicateRegistration,
    NoShowSuspended,
    OverlappingRegistration,
)


def public_refusal(
    error: BookingError, *, phone_verified: bool, sub_event_id: int, phone: str
) -> BookingError:
    """What a citizen's booking surface (the form, the API) answers for `error`.

    Until the number is verified (OPENDAY_PHONE_VERIFICATION), no answer depends on it:
    anyone can type anyone's number, so "duplicate", "suspended until …" or "overlap"
    would tell a stranger who booked what and who missed activities. Those refusals, and
    "full", become one `BookingRefused`; refusals about the activity or the input
    (closed, invitation code, party size, name, busy) stay as they are, and
    `registration_create` checks them before anything about the number, so that they
    cannot tell the number apart either. Staff surfaces show the precise refusal.

    A verified number that already holds a place on the activity gets its (new) link
    again by text message: the way back to a booking whose link was lost."""
    if phone_verified:
        if isinstance(error, DuplicateRegistration):
            registration = (
                Registration.objects.active()
                .filter(sub_event_id=sub_event_id, phone=normalise_phone(phone))
                .first()
            )
            if registration is not None and registration_resend_link(
                registration=registration, by_person=True
            ):
                return DuplicateRegistrationLinkSent()
        return error
    if not isinstance(error, NUMBER_DEPENDENT_REFUSALS):
        return error
    return BookingRefused()


NAME_MAX_LENGTH = 100


def normalise_name(value: str) -> str:
    """A person's name as it is stored, however it was typed: compatibility forms folded
    (full-width letters, digits and spaces become ordinary ones), runs of white space made
    one space, nothing around it. Every surface cleans names through this function."""
    return " ".join(unicodedata.normalize("NFKC", value or "").split())


PHONE_CHARACTERS = set("0123456789+-()")


@dataclass(frozen=True)
class Member:
    """Someone booked under a group's leader."""

    name: str
    phone: str = ""


def normalise_participants(items) -> list[Member]:
    """The members of a group as stored, from what a surface has: `Member`s, mappings
    with `name` and optional `phone` (the API, the guest list), or lines of text, each a
    name with an optional phone number after it (the forms). Blank lines are skipped.
    Raises `InvalidParticipants` naming the first member that cannot be taken."""
    if isinstance(items, str):
        items = items.splitlines()
    members = []
    for number, item in enumerate(items, start=1):
        if isinstance(item, Member):
            name, phone = item.name, item.phone
        elif isinstance(item, str):
            # "张三 138 0013 8000": the words of digits after the name are its phone.
            words = normalise_name(item).split(" ")
            cut = len(words)
            while cut > 1 and set(words[cut - 1]) <= PHONE_CHARACTERS:
                cut -= 1
            name, phone = " ".join(words[:cut]), " ".join(words[cut:])
        else:
            name, phone = item.get("name", ""), item.get("phone") or ""
        name = normalise_name(name)
        if not name and not phone:
            continue
        if not name or len(name) > NAME_MAX_LENGTH:
            raise InvalidParticipants(
                _("Member %(number)d of the group needs a name of at most 100 characters.")
                % {"number": number}
            )
        if phone:
            try:
                phone = normalise_phone(phone)
            except ValidationError as error:
                raise InvalidParticipants(
                    _("Member %(number)d of the group: %(problem)s")
                    % {"number": number, "problem": " ".join(error.messages)}
                ) from error
        members.append(Member(name=name, phone=phone))
    return members


def _check_party_size(
    sub_event: SubEvent, party_size: int, *, members: int, group_allowed: bool
) -> None:
    """A party fits the activity's party size. A group beyond it (booked with an
    invitation code or by staff, up to OPENDAY_GROUP_MAX_SIZE) names every member."""
    if party_size < 1 or (members and members != party_size - 1):
        raise InvalidPartySize()
    if party_size <= sub_event.max_party_size:
        return
    if not group_allowed or party_size > settings.OPENDAY_GROUP_MAX_SIZE:
        raise InvalidPartySize()
    if members != party_size - 1:
        raise InvalidParticipants()


def normalise_invitation_code(value: str) -> str:
    """An invitation code as printed, however it was typed: full-width characters folded,
    the spaces and hyphens people put between groups dropped, capitals. Codes are drawn
    from capitals and digits only (`random_code`), so nothing that matters is lost."""
    text = unicodedata.normalize("NFKC", value or "")
    return "".join(text.replace("-", " ").split()).upper()


def _database_busy(exc: OperationalError) -> bool:
    """A lock wait that ran out (SQLite's "database is locked") or a lock cycle that the
    database broke (PostgreSQL deadlock or serialisation failure)."""
    pgcode = getattr(getattr(exc, "__cause__", None), "pgcode", None)
    return "database is locked" in str(exc) or pgcode in {"40P01", "40001", "55P03"}


def lock_timeouts_as_busy(service):
    """People must never see "database is locked": a booking that could not get the lock
    in time is refused with `Busy`, and nothing is written."""

    @functools.wraps(service)
    def wrapper(*args, **kwargs):
        try:
            return service(*args, **kwargs)
        except OperationalError as exc:
            if not _database_busy(exc) or connection.in_atomic_block:
                raise
            logger.warning("booking refused as busy: %s", exc)
            raise Busy() from exc

    return wrapper


@dataclass(frozen=True)
class Booking:
    """A new registration and its manage token, for the answer to the person who booked
    (page, API); messages derive the link again (`manage_link`)."""

    registration: Registration
    token: str

    @property
    def manage_url(self) -> str:
        return manage_link.path_for_token(self.token)


# A key no sub-event has, standing for the real one in the compiled query below.
_ANY_SUB_EVENT = -7_301_245


@functools.cache
def _places_sql(vendor: str) -> tuple[str, tuple]:
    """The SQL of `SubEvent.objects.with_places_left()` for one sub-event, compiled once
    per process (and database vendor): every booking reads it once or twice, and building
    it costs more than the database takes to run it. The rule itself stays in
    `with_places_left`; only its compiled form is kept."""
    queryset = (
        SubEvent.objects.with_places_left()
        .annotate(event_is_published=F("event__is_published"))
        .filter(pk=_ANY_SUB_EVENT)
        .order_by()
    )
    sql, params = queryset.query.sql_with_params()
    # Only constants may be kept: a value computed when the query was built (a date, the
    # time now) would stay frozen for the life of the process.
    if params.count(_ANY_SUB_EVENT) != 1 or any(
        isinstance(value, dt.date | dt.time | dt.timedelta) for value in params
    ):
        raise ImproperlyConfigured(
            "with_places_left() must compile to constants and one sub-event key."
        )
    return sql, params


def _sub_event_with_places(sub_event_id: int) -> SubEvent:
    """The sub-event with `places_left`, `confirmed_places`, `reserved_places` and
    `event_is_published`, as `with_places_left()` reads them; `DoesNotExist` if none."""
    sql, params = _places_sql(connection.vendor)
    params = tuple(sub_event_id if value == _ANY_SUB_EVENT else value for value in params)
    for sub_event in SubEvent.objects.raw(sql, params):
        return sub_event
    raise SubEvent.DoesNotExist(f"No sub-event {sub_event_id}.")


def _lock_sub_event(sub_event_id: int) -> SubEvent:
    """Lock the sub-event row and return it with its places annotated. Every booking,
    cancellation and promotion of one sub-event queues here."""
    SubEvent.objects.select_for_update().filter(pk=sub_event_id).values_list("pk").get()
    # Read after the lock, so the counts include every transaction that held it before.
    return _sub_event_with_places(sub_event_id)


def _lock_sub_events(*sub_event_ids: int) -> dict[int, SubEvent]:
    """Lock several sub-events, always in the order of their keys, so that two moves in
    opposite directions cannot each hold one lock and wait for the other."""
    ids = sorted(set(sub_event_ids))
    list(SubEvent.objects.select_for_update().filter(pk__in=ids).order_by("pk").values("pk"))
    return {pk: _sub_event_with_places(pk) for pk in ids}


def _released_places_unclaimed(sub_event: SubEvent) -> bool:
    """Unused invitation places were released and may not have reached the waiting list
    yet (no worker has run since): they go to the people waiting, not to whoever books
    next. The caller holds the lock."""
    release = sub_event.invitations_release_at
    return (
        sub_event.waitlist_enabled
        and release is not None
        and release <= timezone.now()
        and sub_event.places_left > 0
    )


def _status_or_sold_out(
    sub_event: SubEvent, *, party_size: int, invitation, seen: sold_out.Seen | None
) -> str:
    """`_status_for`, marking the sub-event sold out when a public booking finds no place
    (`seen`: what the cache said before the places were read)."""
    try:
        return _status_for(sub_event, party_size=party_size, invitation=invitation)
    except RegistrationFull:
        if invitation is None and sub_event.places_left <= 0:
            sold_out.mark(seen)
        raise


def no_show_window_start(now: dt.datetime) -> dt.datetime:
    """No-shows of activities that ended after this moment count (OPENDAY_NOSHOW_MONTHS)."""
    return now - dt.timedelta(days=round(settings.OPENDAY_NOSHOW_MONTHS * 30.44))


def _no_shows(registrations, *, since: dt.datetime, now: dt.datetime) -> list[tuple]:
    """(phone, sub_event_id, ends_at) of the no-shows among `registrations` whose
    activity ended within (since, now]: see `no_show_suspended_until`."""
    rows = (
        registrations.filter(
            status__in=[Registration.Status.CONFIRMED, Registration.Status.CANCELLED],
            checked_in_at__isnull=True,
            sub_event__is_cancelled=False,
            sub_event__ends_at__gt=since,
            sub_event__ends_at__lte=now,
        )
        .order_by()
        .values_list(
            "phone",
            "sub_event_id",
            "status",
            "cancelled_at",
            "sub_event__starts_at",
            "sub_event__ends_at",
        )
    )
    # The last condition in Python: as an OR in SQL it costs PostgreSQL more to plan than
    # to run, on every booking, for the few rows a phone number has.
    return [
        (phone, sub_event_id, ends_at)
        for phone, sub_event_id, status, cancelled_at, starts_at, ends_at in rows
        if status == Registration.Status.CONFIRMED
        or (cancelled_at is not None and cancelled_at >= starts_at)
    ]


def no_show_suspended_until(phone: str, *, now: dt.datetime | None = None) -> dt.datetime | None:
    """When a phone number may register again, or None when it may register now.

    A no-show is a confirmed registration at an activity that took place (not cancelled,
    already ended) without check-in, or one cancelled only after the activity started.
    OPENDAY_NOSHOW_LIMIT of them whose activity ended within the last
    OPENDAY_NOSHOW_MONTHS suspend the number for OPENDAY_NOSHOW_BAN_DAYS after the last one.
    No-shows of registrations whose personal data is gone count through their
    `NoShowRecord`. No-shows before staff lifted a suspension (`NoShowPardon`) no longer
    count.
    """
    limit = settings.OPENDAY_NOSHOW_LIMIT
    if limit <= 0 or not phone:
        return None
    now = now or timezone.now()
    since = no_show_window_start(now)
    missed = [
        ends_at
        for _phone, _sub_event, ends_at in _no_shows(
            Registration.objects.filter(phone=phone), since=since, now=now
        )
    ]
    missed += NoShowRecord.objects.filter(
        phone_hash=phone_digest(phone), missed_at__gt=since, missed_at__lte=now
    ).values_list("missed_at", flat=True)
    # The pardons in another query, as most numbers have no past registrations.
    if len(missed) < limit:
        return None
    # A no-show counts unless staff lifted the suspension after that activity ended.
    pardoned = NoShowPardon.objects.filter(phone=phone).aggregate(last=Max("created_at"))["last"]
    if pardoned is not None:
        missed = [ends_at for ends_at in missed if ends_at > pardoned]
    if len(missed) < limit:
        return None
    until = max(missed) + dt.timedelta(days=settings.OPENDAY_NOSHOW_BAN_DAYS)
    return until if until > now else None


def no_shows_remember(*, registrations, now: dt.datetime | None = None) -> int:
    """Keep the no-shows among `registrations` as `NoShowRecord`s (a keyed hash of the
    number, the activity, when it ended), just before their personal data is removed;
    only those still inside the no-show window, and only while the rule is on. Called in
    the transaction that removes the data. The number of records written."""
    if settings.OPENDAY_NOSHOW_LIMIT <= 0:
        return 0
    now = now or timezone.now()
    records = [
        NoShowRecord(phone_hash=phone_digest(phone), sub_event_id=sub_event_id, missed_at=ends_at)
        for phone, sub_event_id, ends_at in _no_shows(
            registrations.exclude(phone=""), since=no_show_window_start(now), now=now
        )
    ]
    NoShowRecord.objects.bulk_create(records, ignore_conflicts=True)
    return len(records)


def no_show_records_expired(*, now: dt.datetime | None = None):
    """The records the no-show rule no longer needs (older than its window)."""
    return NoShowRecord.objects.filter(missed_at__lte=no_show_window_start(now or timezone.now()))


def no_show_suspension_lift(*, phone: str, by_staff=None, note: str = "") -> NoShowPardon:
    """Staff lift a phone number's no-show suspension: what it missed so far is forgiven;
    new no-shows count again from now."""
    return NoShowPardon.objects.create(
        phone=normalise_phone(phone), created_by=by_staff, note=note.strip()
    )


def _check_window(sub_event: SubEvent, *, staff: bool) -> None:
    if sub_event.is_cancelled or sub_event.is_past or not sub_event.registration_required:
        raise RegistrationClosed()
    # Staff may register someone outside the online window (a phone call on the morning
    # itself), but never for a cancelled or finished activity.
    if not staff and not (sub_event.registration_open and sub_event.event_is_published):
        raise RegistrationClosed()


def _invitation_for(sub_event: SubEvent, code: str) -> Invitation:
    code = normalise_invitation_code(code)
    if not code:
        raise InvalidInvitationCode()
    invitation = Invitation.objects.filter(sub_event=sub_event, code=code).first()
    if invitation is None:
        raise InvalidInvitationCode()
    return invitation


def overlap_rule_applies(*, allow_overlap: bool = False) -> bool:
    """Whether a booking must not overlap another place of the same number: the rule is
    on (OPENDAY_REFUSE_OVERLAPPING) and staff did not override it for this booking."""
    return settings.OPENDAY_REFUSE_OVERLAPPING and not allow_overlap


def _check_no_overlap(sub_event: SubEvent, phone: str, *, moving: int | None = None) -> None:
    """Refuse when `phone` holds an active registration at another activity (not
    cancelled) whose time overlaps `sub_event`'s; `moving` is a registration left out
    (the one being moved)."""
    clashes = (
        Registration.objects.active()
        .filter(
            phone=phone,
            sub_event__is_cancelled=False,
            sub_event__starts_at__lt=sub_event.ends_at,
            sub_event__ends_at__gt=sub_event.starts_at,
        )
        .exclude(sub_event_id=sub_event.pk)
    )
    if moving is not None:
        clashes = clashes.exclude(pk=moving)
    if phone and clashes.exists():
        raise OverlappingRegistration()


def _lock_phone(phone: str) -> None:
    """Lock the phone number's row (made on its first booking), so that bookings of one
    number take turns: in one statement, an insert or, when the row exists, an update
    that waits for whoever holds it. Taken before any sub-event lock, always, so the
    order of locks is the same in every transaction (number, then sub-events by key)."""
    PhoneLock.objects.bulk_create(
        [PhoneLock(digest=phone_digest(phone), locked_at=timezone.now())],
        update_conflicts=True,
        unique_fields=["digest"],
        update_fields=["locked_at"],
    )


def _record(
    registration: Registration, action: str, *, by_staff=None, by_person: bool = False, **detail
) -> None:
    """Write what a service did to a registration and who did it: a staff member, the
    registrant (web, API, manage link), or the system (promotions, the scheduler). Called
    inside the transaction of the change itself."""
    _record_many([registration], action, by_staff=by_staff, by_person=by_person, **detail)


def _record_many(
    registrations: list[Registration],
    action: str,
    *,
    by_staff=None,
    by_person: bool = False,
    **detail,
) -> None:
    if by_staff is not None:
        kind = RegistrationLog.Actor.STAFF
    elif by_person:
        kind = RegistrationLog.Actor.PERSON
    else:
        kind = RegistrationLog.Actor.SYSTEM
    RegistrationLog.objects.bulk_create(
        RegistrationLog(
            registration=registration,
            action=action,
            actor_kind=kind,
            actor=by_staff,
            detail=detail,
        )
        for registration in registrations
    )


@lock_timeouts_as_busy
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
    allow_overlap: bool = False,
    needs: Sequence[str] = (),
    needs_note: str = "",
    idempotency_key: str = "",
    participants=(),
) -> Booking:
    """Book `party_size` places on a sub-event, or put the party on its waiting list.

    Raises a `BookingError` subclass when a rule refuses; nothing is written then.
    `phone` may be in any spelling `normalise_phone` accepts; callers validate input
    (forms, API schemas) before calling, this re-checks what the rules depend on.

    The no-show rule applies to people booking for themselves; staff registering someone
    on their behalf decide for themselves (and can lift a suspension for good). Staff may
    also book a place that overlaps another of the same number (`allow_overlap`).

    With an `idempotency_key`, the answer is kept in the same transaction, so that the
    same request sent again gets it back (`idempotency.earlier_answer`).
    """
    phone = normalise_phone(phone)
    name = normalise_name(name)
    if not name:
        raise InvalidName()
    if len(name) > NAME_MAX_LENGTH:
        raise InvalidName(_("A name has at most 100 characters."))
    invitation_code = normalise_invitation_code(invitation_code)
    needs, needs_note = needs_normalise(needs, needs_note)
    staff = source in (
        Registration.Source.STAFF,
        Registration.Source.IMPORT,
        Registration.Source.WALK_IN,
    )
    public = not staff and not invitation_code
    seen = sold_out.look(sub_event_id, phone) if public else None
    if seen is not None and seen.sold_out:
        if seen.booked:
            # This number probably holds a place: it is told so, not that all are taken.
            _check_not_registered(sub_event_id, phone)
        raise RegistrationSoldOut()

    # First without the lock. A refusal read from committed data is a true answer at the
    # moment of reading, so when the activity is closed or full, or the phone already
    # booked, the request is answered without queueing: in a rush, most are.
    sub_event = _sub_event_with_places(sub_event_id)
    _check_window(sub_event, staff=staff)
    members = normalise_participants(participants)
    group_allowed = staff or bool(invitation_code)
    _check_party_size(sub_event, party_size, members=len(members), group_allowed=group_allowed)
    if invitation_code:
        # A wrong code is refused before it can queue for the lock, and before anything
        # about the number is looked up (`public_refusal`).
        _invitation_for(sub_event, invitation_code)
    _check_not_registered(sub_event.pk, phone)
    no_overlap = overlap_rule_applies(allow_overlap=allow_overlap and staff)
    if no_overlap:
        _check_no_overlap(sub_event, phone)
    _status_or_sold_out(
        sub_event,
        party_size=party_size,
        invitation=False if invitation_code else None,
        seen=seen,
    )
    if not staff:
        # About the person, not the sub-event: checked before the lock so that a
        # suspended number never queues behind a rush.
        until = no_show_suspended_until(phone)
        if until is not None:
            raise NoShowSuspended(until)
    with transaction.atomic():
        if no_overlap:
            _lock_phone(phone)
        sub_event = _lock_sub_event(sub_event_id)
        if not invitation_code and _released_places_unclaimed(sub_event):
            promote_waitlist(sub_event=sub_event)
            sub_event = _sub_event_with_places(sub_event_id)
        # Everything again on the locked row; a duplicate that slipped in meanwhile meets
        # the unique constraint in `_save_new`.
        _check_window(sub_event, staff=staff)
        _check_party_size(sub_event, party_size, members=len(members), group_allowed=group_allowed)
        if no_overlap:
            _check_no_overlap(sub_event, phone)
        invitation = _invitation_for(sub_event, invitation_code) if invitation_code else None
        status = _status_or_sold_out(
            sub_event, party_size=party_size, invitation=invitation, seen=seen
        )
        if status == Registration.Status.WAITLISTED and source == Registration.Source.WALK_IN:
            # Someone standing at the door gets a place now or none.
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
            needs=needs,
            needs_note=needs_note,
            # The privacy app freezes this version's text once the booking commits.
            consent_version=settings.OPENDAY_CONSENT_VERSION,
            consent_given_at=now,
            created_by=created_by,
        )
        token = manage_link.issue(registration)
        _save_new(registration)
        Participant.objects.bulk_create(
            Participant(registration=registration, position=number, **vars(member))
            for number, member in enumerate(members, start=1)
        )
        _record(
            registration,
            RegistrationLog.Action.CREATED,
            by_staff=created_by if staff else None,
            by_person=not staff,
            source=source,
            status=status,
            party_size=party_size,
            invited=invitation is not None,
        )
        if idempotency_key:
            idempotency.remember(key=idempotency_key, registration=registration)
        notify.notify_booked(registration)
        booking = Booking(registration=registration, token=token)
        transaction.on_commit(lambda: _after_booking(booking))
    return booking


def _after_booking(booking: Booking) -> None:
    registration = booking.registration
    sold_out.remember_booked(registration.sub_event_id, registration.phone)


def waitlist_position(registration: Registration) -> int | None:
    """Where a waitlisted registration stands in the queue that `promote_waitlist` serves
    (1 = next), or None when it is not waiting."""
    if registration.status != Registration.Status.WAITLISTED:
        return None
    ahead = (
        Registration.objects.waitlisted()
        .filter(sub_event_id=registration.sub_event_id)
        .filter(
            Q(created_at__lt=registration.created_at)
            | Q(created_at=registration.created_at, pk__lt=registration.pk)
        )
        .count()
    )
    return ahead + 1


def _check_not_registered(sub_event_id: int, phone: str) -> None:
    if Registration.objects.active().filter(sub_event_id=sub_event_id, phone=phone).exists():
        raise DuplicateRegistration()


def _status_for(sub_event: SubEvent, *, party_size: int, invitation) -> str:
    """The status a new party would get on `sub_event` (annotated with places), or the
    refusal (the caller has checked the party size). `invitation=False` checks only what
    holds for any invitation."""
    if invitation is False:
        return Registration.Status.CONFIRMED
    if invitation is not None:
        used = sum(invitation.registrations.confirmed().values_list("party_size", flat=True))
        seats_left = min(invitation.seats - used, sub_event.capacity - sub_event.confirmed_places)
        if party_size > seats_left:
            raise RegistrationFull(_("The places for this invitation are all taken."))
        return Registration.Status.CONFIRMED
    if party_size <= sub_event.places_left:
        return Registration.Status.CONFIRMED
    if sub_event.waitlist_enabled:
        return Registration.Status.WAITLISTED
    raise RegistrationFull()


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


def cancel_deadline(sub_event: SubEvent, *, by_staff=None) -> dt.datetime:
    """Until when a registration of `sub_event` may be cancelled: a person may cancel
    until the activity starts, on every surface. Staff, recording what someone told them
    on the day, may cancel until it ends (it then counts as a late cancellation for the
    no-show rule, as it would have)."""
    return sub_event.ends_at if by_staff is not None else sub_event.starts_at


def registration_cancellable(registration: Registration, *, by_staff=None) -> bool:
    """Whether `registration_cancel` would cancel it now (for pages offering the button)."""
    return registration.is_active and timezone.now() < cancel_deadline(
        registration.sub_event, by_staff=by_staff
    )


@lock_timeouts_as_busy
def registration_cancel(*, registration: Registration, by_staff=None) -> list[Registration]:
    """Cancel a registration. A confirmed place goes at once to the waiting list; returns
    the registrations that were promoted (and will be told). Cancelling twice is a no-op.
    Raises `CancellationClosed` (code `closed`) past `cancel_deadline`.

    The sub-event is locked although a place becomes *more* available: the promotion
    that follows takes places, and must not race a booking for the same ones."""
    with transaction.atomic():
        sub_event = _lock_sub_event(registration.sub_event_id)
        current = Registration.objects.select_for_update().get(pk=registration.pk)
        if current.status == Registration.Status.CANCELLED:
            registration.refresh_from_db()
            return []
        if timezone.now() >= cancel_deadline(sub_event, by_staff=by_staff):
            raise CancellationClosed()
        freed = current.status == Registration.Status.CONFIRMED
        current.status = Registration.Status.CANCELLED
        current.cancelled_at = timezone.now()
        current.save(update_fields=["status", "cancelled_at", "updated_at"])
        _record(
            current,
            RegistrationLog.Action.CANCELLED,
            by_staff=by_staff,
            by_person=True,
            was=Registration.Status.CONFIRMED if freed else Registration.Status.WAITLISTED,
        )
        notify.notify_cancelled(current)
        promoted = promote_waitlist(sub_event=sub_event, by_staff=by_staff) if freed else []
        if freed:
            transaction.on_commit(lambda: sold_out.clear(current.sub_event_id), robust=True)
    registration.refresh_from_db()
    return promoted


def promote_waitlist(*, sub_event: SubEvent, by_staff=None) -> list[Registration]:
    """Move waitlisted parties to confirmed, first come first served, each one that fits
    in the places left (a party of three waits while a later party of one fits).

    The caller holds the lock on `sub_event` (from `_lock_sub_event`), or calls
    `sub_event_promote_waitlist`, which takes it.
    """
    # Once the activity has started nobody joins it from the waiting list: they could not
    # be told in time, and registration has closed for everyone else too.
    if sub_event.is_cancelled or sub_event.starts_at <= timezone.now():
        return []
    left = _sub_event_with_places(sub_event.pk).places_left
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
    # Recorded as the system's doing unless a staff member's change opened the places.
    _record_many(promoted, RegistrationLog.Action.PROMOTED, by_staff=by_staff)
    for registration in promoted:
        notify.notify_promoted(registration)
    return promoted


@lock_timeouts_as_busy
def sub_event_promote_waitlist(*, sub_event_id: int, by_staff=None) -> list[Registration]:
    """Fill places that opened up without a cancellation (more capacity, invitation places
    released) from the waiting list."""
    with transaction.atomic():
        sub_event = _lock_sub_event(sub_event_id)
        promoted = promote_waitlist(sub_event=sub_event, by_staff=by_staff)
        if promoted:
            transaction.on_commit(lambda: sold_out.clear(sub_event_id), robust=True)
        return promoted


def registration_check_in(
    *,
    registration: Registration,
    by_staff=None,
    people: int | None = None,
    at: dt.datetime | None = None,
    device: str = "",
) -> Registration:
    """Check a confirmed registration in at the door, once.

    `people` is how many of the party came (all of it by default); `at` is when the
    ticket was scanned, for a scan made offline and sent later (never in the future);
    `device` names the door. One conditional UPDATE, so two scanners reading the same
    ticket at the same moment check it in once: the second gets `AlreadyCheckedIn` with
    the time of the first.
    """
    now = timezone.now()
    at = min(at, now) if at is not None else now
    people = registration.party_size if people is None else people
    if not 1 <= people <= registration.party_size:
        raise InvalidPartySize()
    with transaction.atomic():
        updated = Registration.objects.filter(
            pk=registration.pk, status=Registration.Status.CONFIRMED, checked_in_at__isnull=True
        ).update(
            checked_in_at=at,
            checked_in_people=people,
            checked_in_device=device[:40],
            updated_at=now,
        )
        if updated:
            _record(registration, RegistrationLog.Action.CHECKED_IN, by_staff=by_staff)
    registration.refresh_from_db()
    if updated:
        return registration
    if registration.checked_in_at is not None:
        raise AlreadyCheckedIn(registration.checked_in_at, registration.checked_in_device)
    raise NotConfirmed()


@dataclass(frozen=True)
class Arrival:
    """A ticket scanned at a door: its reference, when, and how many of the party came
    (None: all of it)."""

    reference: str
    at: dt.datetime
    people: int | None = None


def registrations_check_in_batch(
    *, sub_event_id: int, arrivals: list[Arrival], device: str, by_staff=None
) -> list[tuple[str, Registration | None]]:
    """Check in, at one door of `sub_event_id`, the tickets scanned there (offline, sent
    later), in the order given; the same rules as `registration_check_in`. Returns per
    arrival its outcome (`checked_in`, `already_checked_in`, `not_confirmed`,
    `other_activity`, `unknown`) and the registration, if it is this activity's.

    A few queries per batch, whatever its size: the activity's registrations in the
    batch are locked, so a check-in at the counter meanwhile waits, and written together.
    """
    now = timezone.now()
    references = {arrival.reference for arrival in arrivals}
    with transaction.atomic():
        registrations = {
            registration.reference: registration
            for registration in Registration.objects.filter(
                sub_event_id=sub_event_id, reference__in=references
            )
            .select_for_update()
            .order_by("pk")
        }
        elsewhere = set(
            Registration.objects.filter(reference__in=references - set(registrations))
            .exclude(sub_event_id=sub_event_id)
            .values_list("reference", flat=True)
        )
        outcomes, arrived = [], []
        for arrival in arrivals:
            registration = registrations.get(arrival.reference)
            if registration is None:
                outcome = "other_activity" if arrival.reference in elsewhere else "unknown"
            elif registration.status != Registration.Status.CONFIRMED:
                outcome = "not_confirmed"
            elif registration.checked_in_at is not None:
                outcome = "already_checked_in"
            else:
                outcome = "checked_in"
                # More people than booked: the whole party is let in, not more.
                people = arrival.people or registration.party_size
                registration.checked_in_people = min(people, registration.party_size)
                registration.checked_in_at = min(arrival.at, now)
                registration.checked_in_device = device[:40]
                registration.updated_at = now
                arrived.append(registration)
            outcomes.append((outcome, registration))
        Registration.objects.bulk_update(
            arrived,
            ["checked_in_at", "checked_in_people", "checked_in_device", "updated_at"],
            batch_size=500,
        )
        _record_many(arrived, RegistrationLog.Action.CHECKED_IN, by_staff=by_staff)
    return outcomes


@lock_timeouts_as_busy
def registration_move(
    *,
    registration: Registration,
    to_sub_event_id: int,
    by_staff=None,
    allow_overlap: bool = False,
) -> list[Registration]:
    """Move an active registration to another sub-event (staff, at the person's request),
    keeping its reference and manage link.

    At the new sub-event the party is confirmed if it fits in the public places left,
    else refused with `RegistrationFull` (to join a waiting list there, cancel and
    register anew); an invitation does not travel with it. A place it held at the old
    sub-event goes to that waiting list at once.
    Returns the registrations promoted at the old sub-event.
    """
    no_overlap = overlap_rule_applies(allow_overlap=allow_overlap)
    with transaction.atomic():
        if no_overlap and registration.phone:
            _lock_phone(registration.phone)
        locked = _lock_sub_events(registration.sub_event_id, to_sub_event_id)
        source, target = locked[registration.sub_event_id], locked[to_sub_event_id]
        current = Registration.objects.select_for_update().get(pk=registration.pk)
        if current.status == Registration.Status.CANCELLED:
            raise RegistrationNotActive()
        if current.checked_in_at is not None:
            raise AlreadyCheckedIn(current.checked_in_at)
        if source.pk == target.pk:
            registration.refresh_from_db()
            return []
        _check_window(target, staff=True)
        if current.party_size > target.max_party_size:
            raise InvalidPartySize()
        duplicate = Registration.objects.active().filter(sub_event=target, phone=current.phone)
        if current.phone and duplicate.exists():
            raise DuplicateRegistration()
        if no_overlap:
            _check_no_overlap(target, current.phone, moving=current.pk)
        # Only into free places: the waiting list there is in order of registration, and
        # a moved registration would jump it with its older registration time.
        if current.party_size > target.places_left:
            raise RegistrationFull()
        freed = current.status == Registration.Status.CONFIRMED
        current.sub_event = target
        current.invitation = None
        current.status = Registration.Status.CONFIRMED
        current.promoted_at = None
        current.save(
            update_fields=["sub_event", "invitation", "status", "promoted_at", "updated_at"]
        )
        _record(
            current,
            RegistrationLog.Action.MOVED,
            by_staff=by_staff,
            from_sub_event=source.pk,
            from_title=source.title,
            to_sub_event=target.pk,
            to_title=target.title,
        )
        promoted = promote_waitlist(sub_event=source, by_staff=by_staff) if freed else []
        if freed:
            transaction.on_commit(lambda: sold_out.clear(source.pk), robust=True)
    registration.refresh_from_db()
    return promoted


def registration_resend_link(
    *, registration: Registration, by_staff=None, by_person: bool = False
) -> bool:
    """Send the manage link again (by text message, and by e-mail when there is an
    address), a new one: the old link stops working. False (and nothing changes) for a
    cancelled registration or one without a number or address left. `by_person`: the
    registrant asked, having proved the number theirs by a texted code."""
    with transaction.atomic():
        current = Registration.objects.select_for_update().get(pk=registration.pk)
        if not current.is_active or not (current.phone or current.email):
            return False
        manage_link.issue(current)
        current.save(update_fields=["manage_salt", "manage_token_hash", "updated_at"])
        _record(current, RegistrationLog.Action.LINK_RESENT, by_staff=by_staff, by_person=by_person)
        notify.notify_manage_link(current)
    registration.refresh_from_db()
    return True


def participants_editable_until(sub_event: SubEvent) -> dt.datetime:
    """A group's names can change until the activity's day begins (local time): door
    lists and name cards are printed the day before."""
    start = timezone.localtime(sub_event.starts_at)
    return start.replace(hour=0, minute=0, second=0, microsecond=0)


def registration_participants_rename(
    *, registration: Registration, names: Sequence[str], by_staff=None
) -> Registration:
    """A group's leader (or staff) corrects the names of its members, one name for each
    member in the order they were booked; the count and phones stay. The leader may until
    `participants_editable_until`, staff until the activity starts."""
    with transaction.atomic():
        current = (
            Registration.objects.select_for_update()
            .select_related("sub_event")
            .get(pk=registration.pk)
        )
        if not current.is_active:
            raise RegistrationNotActive()
        deadline = (
            current.sub_event.starts_at
            if by_staff is not None
            else participants_editable_until(current.sub_event)
        )
        if timezone.now() >= deadline:
            raise ParticipantsLocked()
        members = list(current.participants.order_by("position"))
        cleaned = [normalise_name(name) for name in names]
        if len(cleaned) != len(members) or not all(
            0 < len(name) <= NAME_MAX_LENGTH for name in cleaned
        ):
            raise InvalidParticipants()
        changed = []
        for member, name in zip(members, cleaned, strict=True):
            if member.name != name:
                member.name = name
                changed.append(member)
        if changed:
            Participant.objects.bulk_update(changed, ["name"])
            _record(
                current,
                RegistrationLog.Action.RENAMED,
                by_staff=by_staff,
                by_person=by_staff is None,
                members=len(changed),
            )
    return current


@lock_timeouts_as_busy
def sub_event_cancel(*, sub_event_id: int, reason: str = "", by_staff=None) -> list[Registration]:
    """The organisers cancel an activity: it is marked cancelled and every active
    registration of it ends (cancelled, as the ticket, the manage page, the API and the
    exports show), each registrant told once. Returns the registrations it ended;
    cancelling again ends nothing more. The admin calls this after saving the tick on
    "cancelled", and its action on a selection of activities."""
    with transaction.atomic():
        sub_event = _lock_sub_event(sub_event_id)
        now = timezone.now()
        if not sub_event.is_cancelled or (reason and reason != sub_event.cancellation_reason):
            sub_event.is_cancelled = True
            sub_event.cancellation_reason = reason or sub_event.cancellation_reason
            sub_event.save(update_fields=["is_cancelled", "cancellation_reason", "updated_at"])
        ended = list(
            Registration.objects.active()
            .filter(sub_event_id=sub_event_id)
            .select_for_update()
            .order_by("pk")
        )
        for registration in ended:
            registration.status = Registration.Status.CANCELLED
            registration.cancelled_at = now
            registration.updated_at = now
        Registration.objects.bulk_update(
            ended, ["status", "cancelled_at", "updated_at"], batch_size=500
        )
        _record_many(
            ended, RegistrationLog.Action.CANCELLED, by_staff=by_staff, activity_cancelled=True
        )
        notify.notify_activity_cancelled(sub_event, ended)
    return ended


def sub_event_changed(*, sub_event_id: int) -> int:
    """Staff changed an activity's time or venue: every active registrant is told, once
    per change. Returns how many registrations were told."""
    with transaction.atomic():
        sub_event = SubEvent.objects.select_related("venue").get(pk=sub_event_id)
        if sub_event.is_cancelled or sub_event.ends_at <= timezone.now():
            return 0
        registrations = list(
            Registration.objects.active().filter(sub_event_id=sub_event_id).order_by("pk")
        )
        notify.notify_activity_changed(sub_event, registrations)
    return len(registrations)


def sub_event_capacity_check(*, sub_event_id: int, capacity: int) -> None:
    """Staff may not set a capacity below the places already confirmed.

    Called while validating the staff member's form, inside the transaction that then
    saves it: the sub-event row is locked here and stays locked until that transaction
    ends, so no booking confirms more places between the check and the save. Raises
    `CapacityBelowConfirmed`, or `Busy` when the lock wait runs out (the caller's
    transaction stays usable: the lock is taken in a savepoint).
    """
    if not connection.in_atomic_block:
        raise ImproperlyConfigured("sub_event_capacity_check() runs inside the saving transaction.")
    try:
        with transaction.atomic():
            sub_event = _lock_sub_event(sub_event_id)
    except OperationalError as exc:
        if not _database_busy(exc):
            raise
        raise Busy() from exc
    if capacity < sub_event.confirmed_places:
        raise CapacityBelowConfirmed(sub_event.confirmed_places)


def sub_event_places_opened(*, sub_event_id: int, by_staff=None) -> None:
    """Places may have opened on an activity: no sold-out mark read before counts, and the
    waiting list moves into them now."""
    sold_out.clear(sub_event_id)
    try:
        sub_event_promote_waitlist(sub_event_id=sub_event_id, by_staff=by_staff)
    except BookingError as error:
        # Busy: the scheduled `promote_waitlists` fills the places a minute later.
        logger.warning("waiting list of sub-event %s not promoted: %s", sub_event_id, error)


@task()
def release_invitation_places(sub_event_id: int) -> None:
    """Run when an activity's unused invitation places are released (`run_after`)."""
    sub_event_places_opened(sub_event_id=sub_event_id)


def _schedule_release(sub_event_id: int) -> None:
    """Have the task worker promote the waiting list the moment unused invitation places
    are released. Without a worker that can wait (the immediate backend), the next booking
    on the activity (`_released_places_unclaimed`) or `promote_waitlists` does it."""
    release = (
        SubEvent.objects.filter(pk=sub_event_id).values_list("invitations_release_at", flat=True)
    ).first()
    if release is None or release <= timezone.now():
        return
    try:
        if release_invitation_places.get_backend().supports_defer:
            release_invitation_places.using(run_after=release).enqueue(sub_event_id)
    except Exception:
        logger.exception("release of invitation places of sub-event %s not scheduled", sub_event_id)


def sub_event_places_changed(*, sub_event_id: int, by_staff=None) -> None:
    """Staff changed what an activity offers (capacity, invitation seats, the release time
    of unused invitation places): once that change commits, the waiting list moves into
    whatever places opened, at once, and again when unused invitation places are released."""
    transaction.on_commit(
        lambda: sub_event_places_opened(sub_event_id=sub_event_id, by_staff=by_staff)
    )
    transaction.on_commit(lambda: _schedule_release(sub_event_id))
