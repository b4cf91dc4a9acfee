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
so every committed booking made with a key can be answered again. The manage token is
kept sealed (Fernet) under a key derived from the site's SECRET_KEY and the idempotency
key, which is itself stored only as a hash: the database alone gives neither back.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.utils import timezone

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
        return Registration.manage_url_for(self.token)


def _key_hash(*, key: str, sub_event_id: int, phone: str) -> str:
    material = f"{sub_event_id}\n{phone}\n{key}".encode("utf-8", "surrogatepass")
    return hashlib.sha256(material).hexdigest()


def _fernet(key: str) -> Fernet:
    secret = hmac.new(
        settings.SECRET_KEY.encode(),
        b"openday.idempotency\n" + key.encode("utf-8", "surrogatepass"),
        hashlib.sha256,
    ).digest()
    return Fernet(base64.urlsafe_b64encode(secret))


def remember(*, key: str, registration: Registration, token: str) -> None:
    """Keep the answer to a booking made with `key` (inside the booking's transaction)."""
    IdempotentBooking.objects.create(
        key_hash=_key_hash(
            key=key, sub_event_id=registration.sub_event_id, phone=registration.phone
        ),
        registration=registration,
        status=registration.status,
        sealed_token=_fernet(key).encrypt(token.encode()).decode(),
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
    try:
        token = _fernet(key).decrypt(found.sealed_token.encode()).decode()
    except InvalidToken:  # sealed under another SECRET_KEY
        return None
    return Answer(reference=found.registration.reference, status=found.status, token=token)


def forget_expired() -> int:
    """Drop answers past their day; the number dropped."""
    cutoff = timezone.now() - timedelta(seconds=IDEMPOTENCY_SECONDS)
    deleted, _ = IdempotentBooking.objects.filter(created_at__lt=cutoff).delete()
    return deleted
