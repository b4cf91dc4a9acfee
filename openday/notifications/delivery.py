"""Sending the delivery records, through the task queue (django-tasks).

A row is sent by whoever claims it: one conditional UPDATE moves it from queued or
retrying to sending, so two workers, a task run twice or two `send_due_notifications` at
once send it once. What a gateway refuses for now (rate limits, timeouts, a mail server
that hangs) is tried again with a growing wait; what it refuses for good (an invalid
number, a template not approved) is not.

Log lines name the row, its kind and the outcome; never a number, an address, a link or
a code.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks import task

from openday.registrations import manage_link

from . import policy, sms
from .kinds import PARAMETERS, Kind, sms_text
from .models import Notification

logger = logging.getLogger(__name__)

# Rows per delivery task.
BATCH = 50

# The words the e-mail templates already had for these kinds.
EMAIL_KINDS = {
    Kind.BOOKING_CONFIRMED: "confirmed",
    Kind.BOOKING_WAITLISTED: "waitlisted",
    Kind.WAITLIST_PROMOTED: "promoted",
    Kind.BOOKING_CANCELLED: "cancelled",
}


class TemporaryFailure(Exception):
    def __init__(self, code: str):
        self.code = code


class PermanentFailure(Exception):
    def __init__(self, code: str):
        self.code = code


@task()
def deliver_notifications(notification_ids: list[int]) -> None:
    deliver_many(notification_ids)


def enqueue(ids: list[int], *, now: dt.datetime | None = None) -> None:
    """Hand rows to the task queue in batches. With a backend that runs tasks at once
    (local use, tests) they are sent here; a queue that cannot take them leaves them
    waiting for `send_due_notifications`."""
    if not ids:
        return
    now = now or timezone.now()
    backend = deliver_notifications.get_backend()
    if not backend.supports_defer:
        deliver_many(ids, now=now)
        return
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        try:
            deliver_notifications.enqueue(batch)
        except Exception:
            logger.exception("could not queue %d messages; send_due_notifications will", len(batch))
            continue
        Notification.objects.filter(pk__in=batch).update(enqueued_at=now)


def deliver_many(ids: list[int], *, now: dt.datetime | None = None) -> None:
    gateway = Gateway()
    for pk in ids:
        try:
            deliver(pk, now=now, gateway=gateway)
        except Exception:
            # One broken row must not stop the others; it stays claimed and comes back
            # after the lease (send_due_notifications).
            logger.exception("message %s could not be sent", pk)


class Gateway:
    """One SMS backend for a batch of rows, made when the first text message needs it."""

    def __init__(self):
        self._connection = None

    def connection(self):
        if self._connection is None:
            try:
                self._connection = sms.get_connection()
            except ImproperlyConfigured as error:
                # Said in the log by `check --deploy` too; the rows wait for the fix.
                logger.error("the SMS backend cannot start: %s", error)
                raise TemporaryFailure("not_configured") from None
        return self._connection


def deliver(
    pk: int, *, now: dt.datetime | None = None, gateway: Gateway | None = None
) -> str | None:
    """Send one row if it is due and nobody else has; returns its new status."""
    now = now or timezone.now()
    row = (
        Notification.objects.select_related(
            "registration__sub_event__venue", "registration__sub_event__event"
        )
        .filter(pk=pk)
        .first()
    )
    if row is None or row.status not in (row.Status.QUEUED, row.Status.RETRYING):
        return None
    if row.send_after > now:
        return None
    hold = _hold_until(row, now)
    if hold is not None:
        Notification.objects.filter(pk=pk, status=row.status).update(send_after=hold)
        return row.status
    claimed = Notification.objects.filter(pk=pk, status=row.status, send_after__lte=now).update(
        status=row.Status.SENDING, attempts=F("attempts") + 1, claimed_at=now
    )
    if not claimed:
        return None
    attempt = row.attempts + 1
    try:
        if row.channel == row.Channel.SMS:
            template_id, provider_id, skipped = _send_sms(row, gateway or Gateway())
        else:
            template_id, provider_id, skipped = _send_email(row), "", False
    except TemporaryFailure as failure:
        return _failed(row, failure.code, now=now, attempt=attempt, temporary=True)
    except PermanentFailure as failure:
        return _failed(row, failure.code, now=now, attempt=attempt, temporary=False)
    status = row.Status.SKIPPED if skipped else row.Status.SENT
    Notification.objects.filter(pk=pk).update(
        status=status,
        template_id=template_id,
        provider_message_id=provider_id[:100],
        error_code="",
        sent_at=timezone.now() if not skipped else None,
    )
    logger.info("message %s (%s, %s) %s", pk, row.kind, row.channel, status)
    return status


def _hold_until(row: Notification, now: dt.datetime) -> dt.datetime | None:
    """A message that is not urgent waits for the end of the night, and text messages
    wait while the SMS budget is spent."""
    if policy.is_urgent(row.kind):
        return None
    quiet = policy.quiet_until(now)
    if quiet is not None:
        return quiet
    if row.channel == row.Channel.SMS and policy.budget_reached(now):
        logger.warning("SMS budget reached: message %s (%s) waits", row.pk, row.kind)
        return policy.budget_resumes(now)
    return None


def _failed(row, code: str, *, now, attempt: int, temporary: bool) -> str:
    retry = temporary and attempt < policy.MAX_ATTEMPTS
    if retry:
        send_after = now + dt.timedelta(seconds=policy.retry_delay(attempt))
        Notification.objects.filter(pk=row.pk).update(
            status=row.Status.RETRYING, error_code=code, send_after=send_after, enqueued_at=None
        )
        backend = deliver_notifications.get_backend()
        if backend.supports_defer:
            try:
                deliver_notifications.using(run_after=send_after).enqueue([row.pk])
                Notification.objects.filter(pk=row.pk).update(enqueued_at=now)
            except Exception:
                logger.exception("could not queue the retry of message %s", row.pk)
        logger.warning(
            "message %s (%s, %s) not sent (%s); attempt %d after %s",
            row.pk,
            row.kind,
            row.channel,
            code,
            attempt + 1,
            send_after.isoformat(),
        )
        return row.Status.RETRYING
    Notification.objects.filter(pk=row.pk).update(status=row.Status.FAILED, error_code=code)
    logger.error("message %s (%s, %s) failed for good: %s", row.pk, row.kind, row.channel, code)
    return row.Status.FAILED


def _language(row: Notification) -> str:
    if row.registration_id:
        return row.registration.language or settings.LANGUAGE_CODE
    return settings.LANGUAGE_CODE


def link_for(row: Notification) -> str:
    """The link a message carries, made again now: no record holds a manage token."""
    if row.registration_id:
        return manage_link.manage_url(row.registration)
    if row.kind == Kind.SUGGESTION_REPLIED and row.params.get("event_slug"):
        path = reverse("feedback:heard", kwargs={"event_slug": row.params["event_slug"]})
        return f"{settings.OPENDAY_BASE_URL}{path}"
    return settings.OPENDAY_BASE_URL + "/"


def full_params(row: Notification) -> dict[str, str]:
    params = dict(row.params)
    if "link" in PARAMETERS[row.kind]:
        params["link"] = link_for(row)
    return params


def _send_sms(row: Notification, gateway: Gateway) -> tuple[str, str, bool]:
    phone = row.registration.phone if row.registration_id else row.phone
    if not phone:
        raise PermanentFailure("no_recipient")
    params = full_params(row)
    ordered = [str(params.get(name, "")) for name in PARAMETERS[row.kind]]
    with translation.override(_language(row)):
        try:
            result = sms.send_sms(
                phone=phone,
                kind=row.kind,
                params=ordered,
                idempotency_key=row.idempotency_key,
                connection=gateway.connection(),
            )
        except sms.SmsTemporaryError as error:
            raise TemporaryFailure(error.code) from error
        except sms.SmsPermanentError as error:
            raise PermanentFailure(error.code) from error
    return result.template_id, result.provider_message_id, not result.sent


def _permanent_mail_error(error: Exception) -> bool:
    """The mail server said no for good (5xx): trying again would get the same answer."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _message in error.recipients.values())
    return isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500


def render_email(row: Notification) -> EmailMultiAlternatives:
    registration = row.registration if row.registration_id else None
    params = full_params(row)
    with translation.override(_language(row)):
        context = {
            "registration": registration,
            "sub_event": registration.sub_event if registration else None,
            "manage_url": params.get("link", "") if registration else "",
            "kind": EMAIL_KINDS.get(row.kind, row.kind),
            "message_kind": row.get_kind_display(),
            "intro": sms_text(row.kind, params),
            "body": params.get("body", ""),
            "link": params.get("link", ""),
        }
        subject = render_to_string("registrations/email/subject.txt", context).strip()
        text = render_to_string("registrations/email/message.txt", context)
        html = render_to_string("registrations/email/message.html", context)
    to = registration.email if registration else row.email
    message = EmailMultiAlternatives(" ".join(subject.split()), text, to=[to])
    message.attach_alternative(html, "text/html")
    return message


def _send_email(row: Notification) -> str:
    address = row.registration.email if row.registration_id else row.email
    if not address:
        raise PermanentFailure("no_recipient")
    message = render_email(row)
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as error:
        code = f"smtp_{getattr(error, 'smtp_code', '') or type(error).__name__}"[:40]
        if _permanent_mail_error(error):
            raise PermanentFailure(code) from error
        raise TemporaryFailure(code) from error
    return ""
