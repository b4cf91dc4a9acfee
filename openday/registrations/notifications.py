"""Telling people what happened to their registration.

Messages are rendered in the registrant's language and handed to the background task
framework; a broken mail server can delay a message but never loses or blocks a booking.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django_tasks import task

from . import manage_link
from .models import Registration

if TYPE_CHECKING:
    from .services import Booking

logger = logging.getLogger(__name__)


# Attempts at one message before it is given up (logged as an error); the n-th retry
# waits OPENDAY_MAIL_RETRY_SECONDS × 4^(n-1), at most MAX_RETRY_DELAY: with the default
# 30 s, the last attempt comes about nine hours after the first.
MAX_ATTEMPTS = 7
MAX_RETRY_DELAY = 4 * 3600


def retry_delay(attempt: int) -> int:
    return min(settings.OPENDAY_MAIL_RETRY_SECONDS * 4 ** (attempt - 1), MAX_RETRY_DELAY)


def _permanent(error: Exception) -> bool:
    """The mail server said no for good (5xx): trying again would get the same answer."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _message in error.recipients.values())
    return isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500


@task()
def send_registration_email(registration_id: int, kind: str, attempt: int = 1) -> None:
    """Send one message. A mail server that refuses for now, hangs (EMAIL_TIMEOUT) or
    cannot be reached costs a retry later, with backoff, never the message. The manage
    link is derived when the message is made: the task's arguments carry no secret."""
    registration = (
        Registration.objects.select_related("sub_event__event", "sub_event__venue")
        .filter(pk=registration_id)
        .first()
    )
    if registration is None or not registration.email:
        return
    with translation.override(registration.language or settings.LANGUAGE_CODE):
        context = {
            "registration": registration,
            "sub_event": registration.sub_event,
            "manage_url": manage_link.manage_url(registration),
            "kind": kind,
        }
        subject = render_to_string("registrations/email/subject.txt", context).strip()
        text = render_to_string("registrations/email/message.txt", context)
        html = render_to_string("registrations/email/message.html", context)
    message = EmailMultiAlternatives(subject, text, to=[registration.email])
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as error:
        backend = send_registration_email.get_backend()
        if _permanent(error) or attempt >= MAX_ATTEMPTS or not backend.supports_defer:
            raise
        delay = retry_delay(attempt)
        send_registration_email.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue(
            registration_id, kind, attempt + 1
        )
        logger.warning(
            "%s message for registration %s not sent (%s: %s); attempt %d in %d s",
            kind,
            registration_id,
            type(error).__name__,
            error,
            attempt + 1,
            delay,
        )


def _enqueue(registration: Registration, kind: str) -> None:
    if not registration.email:
        return
    try:
        send_registration_email.enqueue(registration.pk, kind)
    except Exception:
        # A failing mail server (immediate backend) or task queue must not undo or block
        # the booking, which is already committed; the log says what was not sent.
        logger.exception("could not send %s message for registration %s", kind, registration.pk)


def registration_created(booking: Booking) -> None:
    _enqueue(booking.registration, booking.registration.status)


def registration_promoted(registration: Registration) -> None:
    _enqueue(registration, "promoted")


def registration_cancelled(registration: Registration) -> None:
    _enqueue(registration, "cancelled")


def registration_link_resent(registration: Registration) -> None:
    _enqueue(registration, registration.status)
