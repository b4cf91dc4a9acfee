"""The same booking request sent twice gets the first answer twice.

A client that lost the answer to a booking (a dropped connection, a worker killed after
the commit) sends it again with the same key: the API's `Idempotency-Key` header, or the
hidden token of the registration form's page. Within IDEMPOTENCY_SECONDS of the first
answer it gets that answer again, with the same reference, status and manage link,
instead of `409 duplicate`; nothing is booked twice.

The key counts together with the activity and the phone number: the same key for another
activity or another number is another request (and someone who learns a key cannot
fetch a stranger's manage link without the number too). Refusals are not remembered: a
retry after a refusal is a new attempt.

The record is written by `services.registration_create` in the booking's transaction,
so every committed booking made with a key can be answered again. The key is stored only
as a hash, and the manage link is derived again from the registration (`manage_link`):
the database alone gives back neither.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from . import manage_link
from .models import IdempotentBooking, Registration

IDEMPOTENCY_SECONDS = 24 * 3600
KEY_MAX_LENGTH = 255


@dataclass(frozen=True)
class Answer:
    """What the first booking answered."""

    reference: str
    status: str
    token: str

    @property
    def manage_url(self) -> str:
        return manage_link.path_for_token(self.token)


def _key_hash(*, key: str, sub_event_id: int, phone: str) -> str:
    material = f"{sub_event_id}\n{phone}\n{key}".encode("utf-8", "surrogatepass")
    return hashlib.sha256(material).hexdigest()


def remember(*, key: str, registration: Registration) -> None:
    """Keep the answer to a booking made with `key` (inside the booking's transaction)."""
    IdempotentBooking.objects.create(
        key_hash=_key_hash(
            key=key, sub_event_id=registration.sub_event_id, phone=registration.phone
        ),
        registration=registration,
        status=registration.status,
        created_at=timezone.now(),
    )


def earlier_answer(*, key: str, sub_event_id: int, phone: str) -> Answer | None:
    """The answer a booking with this key, activity and (normalised) phone got within
    IDEMPOTENCY_SECONDS, or None."""
    if not key:
        return None
    found = (
        IdempotentBooking.objects.filter(
            key_hash=_key_hash(key=key, sub_event_id=sub_event_id, phone=phone),
            created_at__gte=timezone.now() - timedelta(seconds=IDEMPOTENCY_SECONDS),
        )
        .select_related("registration")
        .first()
    )
    if found is None:
        return None
    token = manage_link.token_for(found.registration)
    if token is None:  # personal data removed since
        return None
    return Answer(reference=found.registration.reference, status=found.status, token=token)


def forget_expired() -> int:
    """Drop answers past their day; the number dropped."""
    cutoff = timezone.now() - timedelta(seconds=IDEMPOTENCY_SECONDS)
    deleted, _ = IdempotentBooking.objects.filter(created_at__lt=cutoff).delete()
    return deleted
