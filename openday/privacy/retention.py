"""Keeping personal data only as long as its purpose needs.

Anonymising clears what identifies a person (name, phone, e-mail; a feedback's contact
details; the number, address and parameters of the messages sent to them) and keeps what
statistics count (status, party size, check-in, rating, text, dates; a message's kind,
channel and outcome). Rows are never deleted, so every count of past activities stays
the same; only messages still waiting to go to the person are dropped.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from openday.core.refusals import Refusal
from openday.feedback.models import Feedback
from openday.notifications import services as notify
from openday.registrations import idempotency, services
from openday.registrations.models import Participant, Registration

from .models import PhoneVerification

# One-time codes live minutes; a day later nobody needs even their hashes.
VERIFICATION_KEEP = dt.timedelta(days=1)


class ErasureNotAllowed(Refusal):
    code = "too_early"
    message = _(
        "You can delete your data once the activity is over. Until then, cancel the "
        "registration if you no longer want to come."
    )


@dataclass(frozen=True)
class PurgeResult:
    ended_before: dt.datetime
    registrations: int
    feedback: int
    verification_codes: int
    no_show_records: int = 0


def _anonymise_registrations(queryset, now) -> int:
    Participant.objects.filter(registration__in=queryset).delete()
    notify.forget_recipients(registrations=queryset)
    return queryset.update(
        name="", phone="", email="", needs="", needs_note="", anonymised_at=now, updated_at=now
    )


def _anonymise_feedback(queryset, now) -> int:
    notify.forget_recipients(feedback=queryset)
    return queryset.update(contact_name="", contact_phone="", contact_email="", anonymised_at=now)


def personal_data_purge(
    *, retention_days: int, dry_run: bool = False, now: dt.datetime | None = None
) -> PurgeResult:
    """Anonymise registrations and feedback contact details of activities that ended more
    than `retention_days` ago, and delete old one-time codes. Running it again changes
    nothing; `dry_run` counts without changing anything."""
    now = now or timezone.now()
    ended_before = now - dt.timedelta(days=retention_days)
    registrations = Registration.objects.filter(
        anonymised_at__isnull=True, sub_event__ends_at__lte=ended_before
    )
    # Feedback belongs to an activity, or only to the open day (then its last day counts).
    feedback = Feedback.objects.filter(anonymised_at__isnull=True).filter(
        Q(sub_event__ends_at__lte=ended_before)
        | Q(registration__sub_event__ends_at__lte=ended_before)
        | Q(
            sub_event__isnull=True,
            registration__isnull=True,
            event__ends_on__lt=timezone.localdate(ended_before),
        )
    )
    codes = PhoneVerification.objects.filter(created_at__lt=now - VERIFICATION_KEEP)
    # What the no-show rule kept of anonymised registrations, once past its window.
    no_show_records = services.no_show_records_expired(now=now)
    if dry_run:
        return PurgeResult(
            ended_before,
            registrations.count(),
            feedback.count(),
            codes.count(),
            no_show_records.count(),
        )
    with transaction.atomic():
        # Repeatable booking answers live a day; they hold a sealed manage token.
        idempotency.forget_expired()
        expired = no_show_records.delete()[0]
        # The window may be longer than the retention period: the rule keeps what it
        # needs of the numbers about to go, without the numbers.
        services.no_shows_remember(registrations=registrations, now=now)
        return PurgeResult(
            ended_before,
            _anonymise_registrations(registrations, now),
            _anonymise_feedback(feedback, now),
            codes.delete()[0],
            expired,
        )


def registration_erase(*, registration: Registration) -> None:
    """A citizen deletes their own data from the manage page, once the activity is over
    (or was cancelled by the organiser). Raises ErasureNotAllowed before that. The
    registration stays, anonymised, so the activity's figures do not change; erasing
    twice is a no-op."""
    sub_event = registration.sub_event
    if not (sub_event.is_past or sub_event.is_cancelled):
        raise ErasureNotAllowed()
    now = timezone.now()
    with transaction.atomic():
        mine = Registration.objects.filter(pk=registration.pk, anonymised_at__isnull=True)
        # Deleting one's data does not reset the no-show rule.
        services.no_shows_remember(registrations=mine, now=now)
        _anonymise_registrations(mine, now)
        _anonymise_feedback(
            Feedback.objects.filter(registration=registration, anonymised_at__isnull=True), now
        )
    registration.refresh_from_db()


def registration_can_be_erased(registration: Registration) -> bool:
    """Whether the manage page should offer "delete my data"."""
    sub_event = registration.sub_event
    return registration.anonymised_at is None and (sub_event.is_past or sub_event.is_cancelled)
