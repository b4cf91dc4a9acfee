"""Messages from staff to the registrants of an activity, through the notification layer:
each chosen registrant gets a text message (the subject and their link) and, when they
gave an address, an e-mail with the whole text; the delivery records say what happened
to each (`openday.notifications`)."""

from __future__ import annotations

from django.db import transaction

from openday.notifications import services as notify
from openday.registrations.models import Registration

from .models import StaffMessage


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
) -> tuple[StaffMessage, int]:
    """Record the message and its deliveries; they are sent once the transaction commits.
    Returns the message and how many registrations it goes to."""
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
        chosen = list(
            recipients(sub_event, statuses=statuses, checked_in=checked_in).select_related(
                "sub_event__venue"
            )
        )
        notify.notify_staff_message(message, chosen, subject=subject, body=body)
    return message, len(chosen)
