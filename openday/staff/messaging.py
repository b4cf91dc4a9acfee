"""Messages from staff to the registrants of an activity, sent in the background through
Django's mail framework; each recipient gets a `MessageDelivery` row saying what happened."""

from __future__ import annotations

import logging

from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from openday.registrations.models import Registration

from .models import MessageDelivery, StaffMessage

logger = logging.getLogger(__name__)


def recipients(sub_event, *, statuses: list[str], checked_in: str):
    queryset = Registration.objects.filter(sub_event=sub_event, status__in=statuses)
    if checked_in == "yes":
        queryset = queryset.filter(checked_in_at__isnull=False)
    elif checked_in == "no":
        queryset = queryset.filter(checked_in_at__isnull=True)
    return queryset


def staff_message_send(
    *,
    sub_event,
    kind: str,
    subject: str,
    body: str,
    statuses: list[str],
    checked_in: str,
    sent_by,
) -> StaffMessage:
    """Record the message and one delivery per chosen registrant, then queue the sending."""
    with transaction.atomic():
        message = StaffMessage.objects.create(
            sub_event=sub_event,
            kind=kind,
            subject=subject,
            body=body,
            statuses=",".join(statuses),
            checked_in=checked_in,
            sent_by=sent_by,
        )
        chosen = recipients(sub_event, statuses=statuses, checked_in=checked_in)
        MessageDelivery.objects.bulk_create(
            [
                MessageDelivery(
                    message=message,
                    registration_id=pk,
                    email=email,
                    status=MessageDelivery.Status.QUEUED
                    if email
                    else MessageDelivery.Status.NO_EMAIL,
                )
                for pk, email in chosen.values_list("pk", "email").iterator()
            ],
            batch_size=1000,
        )
        transaction.on_commit(lambda: send_staff_message.enqueue(message.pk))
    return message


@task()
def send_staff_message(message_id: int) -> None:
    message = StaffMessage.objects.filter(pk=message_id).first()
    if message is None:
        return
    queued = message.deliveries.filter(status=MessageDelivery.Status.QUEUED)
    for delivery in queued.iterator():
        try:
            EmailMessage(message.subject, message.body, to=[delivery.email]).send()
        except Exception:
            # One bad address or a mail server hiccup must not stop the others; the row
            # says it failed so staff can see who was not reached.
            logger.exception("staff message %s to delivery %s failed", message.pk, delivery.pk)
            delivery.status = MessageDelivery.Status.FAILED
        else:
            delivery.status = MessageDelivery.Status.SENT
            delivery.sent_at = timezone.now()
        delivery.save(update_fields=["status", "sent_at"])
