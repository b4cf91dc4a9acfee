"""One function per event in a registration's life; every surface and service that tells
a person something calls one of these, and nothing else sends messages to registrants.

Each event becomes one delivery record per channel the person has: a text message always
(the phone number is required), an e-mail when they gave an address. Records are written
in the caller's transaction, so a message exists exactly when the change it tells of was
committed, and are handed to the task queue once that transaction commits: a booking is
never held up or undone by a gateway, which can only delay its message.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import formats, timezone, translation
from django.utils.translation import pgettext

from openday.registrations.models import Registration

from . import policy, sms
from .kinds import Kind, shorten
from .models import Notification, ReminderOptOut

logger = logging.getLogger(__name__)


def sms_time(moment: dt.datetime) -> str:
    """ "12月5日 09:30": the start of an activity as a template parameter (≤ 12 characters)."""
    return formats.date_format(
        timezone.localtime(moment), pgettext("text message date and time", "M j, H:i")
    )


def activity_params(registration: Registration, *, reference: bool = False) -> dict[str, str]:
    """The parameters about the registration's activity, in the person's language."""
    sub_event = registration.sub_event
    with translation.override(registration.language or settings.LANGUAGE_CODE):
        params = {
            "activity": shorten(sub_event.title),
            "time": sms_time(sub_event.starts_at),
            "venue": shorten(sub_event.venue.name),
        }
    if reference:
        params["reference"] = registration.reference
    return params


def _rows_for(
    registration: Registration,
    kind: str,
    params: dict[str, str],
    key: str,
    *,
    send_after: dt.datetime | None = None,
) -> list[Notification]:
    """One record per channel the registrant has; `key` names the event (the channel is
    added), so the same event recorded twice is one message."""
    send_after = policy.not_before(kind, send_after or timezone.now())
    channels = []
    if registration.phone:
        channels.append(Notification.Channel.SMS)
    if registration.email:
        channels.append(Notification.Channel.EMAIL)
    return [
        Notification(
            registration=registration,
            sub_event_id=registration.sub_event_id,
            kind=kind,
            channel=channel,
            params=params,
            idempotency_key=f"{key}:{channel}",
            send_after=send_after,
        )
        for channel in channels
    ]


def record(rows: list[Notification]) -> None:
    """Write the records (one already written with the same key is left as it is) and,
    once the caller's transaction commits, hand them to the task queue."""
    if not rows:
        return
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    keys = [row.idempotency_key for row in rows]
    transaction.on_commit(lambda: enqueue_keys(keys), robust=True)


def enqueue_keys(keys: list[str]) -> None:
    from .delivery import enqueue

    now = timezone.now()
    for start in range(0, len(keys), 1000):
        ids = list(
            Notification.objects.due(now)
            .filter(idempotency_key__in=keys[start : start + 1000])
            .values_list("pk", flat=True)
        )
        enqueue(ids)


# --- events in a registration's life ---------------------------------------------------


def notify_booked(registration: Registration) -> None:
    """Booked: confirmed, or on the waiting list."""
    if registration.status == Registration.Status.WAITLISTED:
        kind, params = Kind.BOOKING_WAITLISTED, activity_params(registration)
    else:
        kind, params = Kind.BOOKING_CONFIRMED, activity_params(registration, reference=True)
    record(_rows_for(registration, kind, params, f"booked:{registration.pk}"))


def notify_promoted(registration: Registration) -> None:
    """Moved from the waiting list to a place (once in a registration's life)."""
    params = activity_params(registration, reference=True)
    record(_rows_for(registration, Kind.WAITLIST_PROMOTED, params, f"promoted:{registration.pk}"))


def notify_cancelled(registration: Registration) -> None:
    """Cancelled by the person (or by staff at their request)."""
    params = activity_params(registration)
    record(_rows_for(registration, Kind.BOOKING_CANCELLED, params, f"cancelled:{registration.pk}"))


def notify_manage_link(registration: Registration) -> None:
    """The manage link sent again: each request is a message of its own."""
    params = activity_params(registration)
    key = f"manage_link:{registration.pk}:{uuid.uuid4().hex}"
    record(_rows_for(registration, Kind.MANAGE_LINK, params, key))


def notify_activity_cancelled(sub_event, registrations: Iterable[Registration]) -> None:
    """The organisers cancelled the activity: each of its registrants once."""
    rows = []
    for registration in registrations:
        registration.sub_event = sub_event
        params = activity_params(registration)
        key = f"activity_cancelled:{registration.pk}"
        rows += _rows_for(registration, Kind.ACTIVITY_CANCELLED, params, key)
    # A reminder not yet sent would announce an activity that no longer takes place.
    Notification.objects.filter(sub_event=sub_event, kind=Kind.REMINDER).waiting().delete()
    record(rows)


def notify_activity_changed(sub_event, registrations: Iterable[Registration]) -> None:
    """The activity's time or venue changed: each active registrant once per change."""
    version = f"{sub_event.starts_at:%Y%m%d%H%M}:{sub_event.venue_id}"
    rows = []
    for registration in registrations:
        registration.sub_event = sub_event
        params = activity_params(registration)
        key = f"activity_changed:{registration.pk}:{version}"
        rows += _rows_for(registration, Kind.ACTIVITY_CHANGED, params, key)
    # Reminders still waiting carry the old time and place: they are made again.
    Notification.objects.filter(sub_event=sub_event, kind=Kind.REMINDER).waiting().delete()
    record(rows)


def notify_staff_message(
    message, registrations: Iterable[Registration], *, subject: str, body: str
) -> None:
    """A message from staff (`staff.StaffMessage`) to some registrants of an activity:
    the text message carries the subject and the link; the e-mail the whole text."""
    rows = []
    for registration in registrations:
        params = {**activity_params(registration), "subject": shorten(subject), "body": body}
        key = f"staff_message:{message.pk}:{registration.pk}"
        rows += _rows_for(registration, Kind.STAFF_MESSAGE, params, key)
    record(rows)


def notify_suggestion_replied(feedback) -> None:
    """Staff published a reply to a suggestion whose author agreed to be contacted: the
    author hears of it once, by the contact details they left."""
    if not (feedback.contact_consent and feedback.is_published and feedback.public_reply):
        return
    params = {"event": shorten(feedback.event.title), "event_slug": feedback.event.slug}
    send_after = policy.not_before(Kind.SUGGESTION_REPLIED, timezone.now())
    rows = [
        Notification(
            sub_event_id=feedback.sub_event_id,
            kind=Kind.SUGGESTION_REPLIED,
            channel=channel,
            phone=phone,
            email=email,
            params=params,
            idempotency_key=_suggestion_reply_key(feedback.pk, channel),
            send_after=send_after,
        )
        for channel, phone, email in [
            (Notification.Channel.SMS, feedback.contact_phone, ""),
            (Notification.Channel.EMAIL, "", feedback.contact_email),
        ]
        if phone or email
    ]
    record(rows)


def live_notice_registrations(notice):
    """Whom a live notice tells: the active registrations of its activity, or of every
    activity of its open day for a notice about the whole day, whose activity has not
    ended and was not cancelled."""
    registrations = Registration.objects.active().filter(
        sub_event__is_cancelled=False, sub_event__ends_at__gt=timezone.now()
    )
    if notice.sub_event_id is not None:
        return registrations.filter(sub_event_id=notice.sub_event_id)
    return registrations.filter(sub_event__event_id=notice.event_id)


def _live_notice_key(notice) -> str:
    return f"live_notice:{notice.pk}:"


def live_notice_messages(notice):
    """The delivery records of a live notice."""
    return Notification.objects.filter(idempotency_key__startswith=_live_notice_key(notice))


def notify_live_notice(notice) -> int:
    """Staff posted (or showed again) a live notice: each registration it concerns hears
    of it once, however often the notice is saved; one taken down sends nothing more.
    The text message carries the notice cut to a template parameter, the e-mail all of
    it. Urgent (`policy.URGENT`): it is about today's plans, so it goes out at night and
    past the SMS budget. Returns how many registrations it newly reaches."""
    prefix = _live_notice_key(notice)
    if not notice.is_active:
        live_notice_messages(notice).waiting().delete()
        return 0
    title = (notice.sub_event or notice.event).title
    params = {"activity": shorten(title), "notice": shorten(notice.text), "body": notice.text}
    told = set(live_notice_messages(notice).values_list("registration_id", flat=True))
    rows: list[Notification] = []
    count = 0
    for registration in live_notice_registrations(notice).order_by("pk").iterator(2000):
        if registration.pk in told:
            continue
        new = _rows_for(registration, Kind.LIVE_NOTICE, params, f"{prefix}{registration.pk}")
        rows += new
        count += bool(new)
    record(rows)
    return count


def _suggestion_reply_key(feedback_pk: int, channel: str) -> str:
    return f"suggestion_replied:{feedback_pk}:{channel}"


def forget_recipients(*, registrations=None, feedback=None) -> int:
    """The retention purge and a person deleting their data: the messages of these
    registrations, or the replies to these suggestions, keep their kind, channel and
    outcome but no longer their number, address or parameters (a staff message or a
    notice may name people); those not yet sent are dropped. Returns how many records
    were cleared."""
    cleared = 0
    if registrations is not None:
        cleared += _forget(Notification.objects.filter(registration__in=registrations))
    if feedback is not None:
        pks = list(feedback.values_list("pk", flat=True))
        for start in range(0, len(pks), 500):
            keys = [
                _suggestion_reply_key(pk, channel)
                for pk in pks[start : start + 500]
                for channel in Notification.Channel.values
            ]
            cleared += _forget(Notification.objects.filter(idempotency_key__in=keys))
    return cleared


def _forget(records) -> int:
    # A row a worker holds right now is dropped too: its last update then changes nothing.
    records.filter(
        status__in=[
            Notification.Status.QUEUED,
            Notification.Status.RETRYING,
            Notification.Status.SENDING,
        ]
    ).delete()
    return records.exclude(phone="", email="", params={}).update(phone="", email="", params={})


def reach(registrations) -> dict[str, int]:
    """How many of `registrations` a message reaches by text, by e-mail, and not at all
    (their number and address were removed)."""
    # Names of their own: an aggregate named like a field ("email") would shadow it.
    counts = registrations.aggregate(
        reach_sms=Count("pk", filter=~Q(phone="")),
        reach_email=Count("pk", filter=~Q(email="")),
        reach_none=Count("pk", filter=Q(phone="", email="")),
    )
    return {
        "sms": counts["reach_sms"],
        "email": counts["reach_email"],
        "none": counts["reach_none"],
    }


def sms_budget_reached() -> bool:
    """Whether the hourly or daily SMS budget is spent: messages that are not urgent wait,
    and staff pages say so."""
    return policy.budget_reached(timezone.now())


def delivery_counts(notifications) -> dict[str, int]:
    """Sent, failed and waiting messages among `notifications` (the dashboard's figures)."""
    return notifications.aggregate(
        sent=Count("pk", filter=Q(status=Notification.Status.SENT)),
        failed=Count("pk", filter=Q(status=Notification.Status.FAILED)),
        waiting=Count(
            "pk",
            filter=Q(
                status__in=[
                    Notification.Status.QUEUED,
                    Notification.Status.RETRYING,
                    Notification.Status.SENDING,
                ]
            ),
        ),
    )


def reminders_off(registration: Registration, off: bool = True) -> None:
    """The registrant turns reminders off (or on again) on their manage page."""
    if off:
        ReminderOptOut.objects.get_or_create(registration=registration)
        Notification.objects.filter(
            registration=registration, kind=Kind.REMINDER
        ).waiting().delete()
    else:
        ReminderOptOut.objects.filter(registration=registration).delete()


def reminders_are_off(registration: Registration) -> bool:
    """Whether the registrant turned reminders off (no query when the registration was
    read with `select_related("reminder_opt_out")`)."""
    try:
        registration.reminder_opt_out  # noqa: B018
    except ReminderOptOut.DoesNotExist:
        return False
    return True


# --- what is due by the clock ------------------------------------------------------------


def schedule_reminders(now: dt.datetime) -> int:
    """Record a reminder for every confirmed registration of an activity that starts
    within OPENDAY_REMINDER_HOURS, unless it has one or its registrant said no."""
    hours = settings.OPENDAY_REMINDER_HOURS
    if hours <= 0:
        return 0
    candidates = (
        Registration.objects.confirmed()
        .filter(
            sub_event__is_cancelled=False,
            sub_event__starts_at__gt=now,
            sub_event__starts_at__lte=now + dt.timedelta(hours=hours),
        )
        .exclude(phone="", email="")
        .filter(~Exists(ReminderOptOut.objects.filter(registration=OuterRef("pk"))))
        .filter(
            ~Exists(Notification.objects.filter(registration=OuterRef("pk"), kind=Kind.REMINDER))
        )
        .select_related("sub_event__venue")
        .order_by("pk")
    )
    return _schedule(candidates, Kind.REMINDER, now, "reminder")


def schedule_survey_invitations(now: dt.datetime) -> int:
    """Record a survey invitation for every visit checked in OPENDAY_SURVEY_DELAY_HOURS
    ago (within the last week), unless it has one or the survey is answered."""
    delay = dt.timedelta(hours=settings.OPENDAY_SURVEY_DELAY_HOURS)
    candidates = (
        Registration.objects.confirmed()
        .filter(
            sub_event__is_cancelled=False,
            checked_in_at__lte=now - delay,
            checked_in_at__gt=now - delay - dt.timedelta(days=7),
            feedback__isnull=True,
        )
        .exclude(phone="", email="")
        .filter(
            ~Exists(
                Notification.objects.filter(
                    registration=OuterRef("pk"), kind=Kind.SURVEY_INVITATION
                )
            )
        )
        .select_related("sub_event__venue")
        .order_by("pk")
    )
    return _schedule(candidates, Kind.SURVEY_INVITATION, now, "survey")


def _schedule(candidates, kind: str, now: dt.datetime, name: str) -> int:
    count = 0
    rows: list[Notification] = []
    for registration in candidates.iterator(chunk_size=1000):
        params = activity_params(registration)
        if kind == Kind.SURVEY_INVITATION:
            params.pop("venue")
        rows += _rows_for(registration, kind, params, f"{name}:{registration.pk}", send_after=now)
        count += 1
        if len(rows) >= 1000:
            Notification.objects.bulk_create(rows, ignore_conflicts=True)
            rows = []
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return count


def recover_abandoned(now: dt.datetime) -> int:
    """Rows a worker took and never finished (it was killed) go back to the queue after
    the task lease. A message the gateway took in the instant before the kill is sent a
    second time: the one gap that no record on this side can close."""
    lease = dt.timedelta(seconds=settings.OPENDAY_TASK_LEASE_SECONDS)
    return Notification.objects.filter(
        status=Notification.Status.SENDING, claimed_at__lt=now - lease
    ).update(status=Notification.Status.RETRYING, send_after=now)


def send_due(*, now: dt.datetime | None = None) -> dict[str, int]:
    """What `send_due_notifications` does: record the reminders and survey invitations
    that are due, take back abandoned rows, and hand every due row to the task queue
    (which, with the immediate backend, sends them now). Safe to run twice or in two
    processes at once: records are unique by key and each row is sent by whoever
    claims it first."""
    now = now or timezone.now()
    from .delivery import enqueue

    figures = {
        "reminders": schedule_reminders(now),
        "surveys": schedule_survey_invitations(now),
        "recovered": recover_abandoned(now),
    }
    # A row handed to the queue less than a lease ago is on its way already.
    recently = now - dt.timedelta(seconds=settings.OPENDAY_TASK_LEASE_SECONDS)
    due = Notification.objects.due(now).exclude(enqueued_at__gt=recently).order_by("send_after")
    ids = list(due.values_list("pk", flat=True))
    figures["due"] = len(ids)
    enqueue(ids, now=now)
    return figures


# The PostgreSQL advisory lock taken by whoever runs `send_due` from a worker.
SEND_DUE_LOCK = 0x0DE_5E4D


def send_due_exclusively(*, now: dt.datetime | None = None) -> dict[str, int] | None:
    """`send_due` unless another worker is running it right now (None then): on
    PostgreSQL a session advisory lock lets one worker of many do it. Other databases
    have no lock across processes; there a second run is only wasted work."""
    if connection.vendor != "postgresql":
        return send_due(now=now)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [SEND_DUE_LOCK])
        if not cursor.fetchone()[0]:
            return None
    try:
        return send_due(now=now)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [SEND_DUE_LOCK])


def send_verification_code(*, phone: str, code: str, minutes: int, key: str):
    """Text a one-time code now, in the request: the person waits for it and the answer
    depends on it, so it does not go through the queue. It is recorded like every other
    message (for the SMS budget, the dashboard, the message log) once the gateway
    answered, with neither the code nor the number: phone verification keeps only their
    keyed hashes. Returns the gateway's `SmsResult`; raises what `sms.send_sms` raises."""
    record = Notification(
        kind=Kind.VERIFICATION_CODE,
        channel=Notification.Channel.SMS,
        params={"minutes": str(minutes)},
        idempotency_key=key,
        attempts=1,
    )
    try:
        result = sms.send_sms(
            phone=phone,
            kind=Kind.VERIFICATION_CODE,
            params=(code, str(minutes)),
            idempotency_key=key,
        )
    except sms.SmsError as error:
        record.status, record.error_code = Notification.Status.FAILED, error.code[:40]
        record.save()
        raise
    except Exception:
        record.status, record.error_code = Notification.Status.FAILED, "backend_error"
        record.save()
        raise
    record.template_id = result.template_id
    record.provider_message_id = result.provider_message_id[:100]
    if result.sent:
        record.status, record.sent_at = Notification.Status.SENT, timezone.now()
    else:
        record.status = Notification.Status.SKIPPED
    record.save()
    return result
