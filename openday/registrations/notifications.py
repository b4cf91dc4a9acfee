"""Telling people what happened to their registration.

Messages are rendered in the registrant's language and handed to the background task
framework; a broken mail server can delay a message but never loses or blocks a booking.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django_tasks import task

from .models import Registration

if TYPE_CHECKING:
    from .services import Booking

logger = logging.getLogger(__name__)


@task()
def send_registration_email(registration_id: int, kind: str, manage_path: str = "") -> None:
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
            "manage_url": f"{settings.OPENDAY_BASE_URL}{manage_path}" if manage_path else "",
            "kind": kind,
        }
        subject = render_to_string("registrations/email/subject.txt", context).strip()
        text = render_to_string("registrations/email/message.txt", context)
        html = render_to_string("registrations/email/message.html", context)
    message = EmailMultiAlternatives(subject, text, to=[registration.email])
    message.attach_alternative(html, "text/html")
    message.send()


def _enqueue(registration: Registration, kind: str, manage_path: str = "") -> None:
    if not registration.email:
        return
    try:
        send_registration_email.enqueue(registration.pk, kind, manage_path)
    except Exception:
        # A failing mail server (immediate backend) or task queue must not undo or block
        # the booking, which is already committed; the log says what was not sent.
        logger.exception("could not send %s message for registration %s", kind, registration.pk)


def registration_created(booking: Booking) -> None:
    _enqueue(booking.registration, booking.registration.status, booking.manage_url)


def registration_promoted(registration: Registration) -> None:
    _enqueue(registration, "promoted")


def registration_cancelled(registration: Registration) -> None:
    _enqueue(registration, "cancelled")


def registration_link_resent(registration: Registration, token: str) -> None:
    _enqueue(registration, registration.status, Registration.manage_url_for(token))
