"""Proving that a phone number belongs to the person who types it: a one-time code by SMS.

One booking per phone and the no-show rule both key on the phone number, so without this
anyone could book with someone else's number to block them. Switched on by
OPENDAY_PHONE_VERIFICATION (default off).

How the booking form and the API use it:

1. `verification_send(phone=..., client_address=...)` when the person asks for a code
   (`POST /api/v1/verifications {"phone"}`, or the form's first step). It returns an
   opaque verification ID that goes back only to the client that asked (the API's
   answer, the form's signed hidden field);
2. `verification_check(phone=..., code=..., verification_id=...)` just before
   `registration_create(...)`, and not inside a transaction that a refused booking rolls
   back: a wrong guess must stay counted. A correct code is spent at once; if the booking
   is then refused, the person asks for a new code.

A code is tied to the ID it was sent under: only the client holding that ID can try it.
So a stranger who types someone's number can neither burn that person's code with wrong
guesses nor replace it by asking for another (each request gets its own code and ID).
Codes per number are limited per (number, address), under a higher cap per number, so a
stranger cannot use up a number's allowance from one place either.

Both raise `VerificationError` (with a stable `code` for the API and a `message` in the
person's language) or `django.core.exceptions.ValidationError` for a malformed number.
Neither says anything about whether the number is registered for anything.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import unicodedata

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _

from openday.core.phone import normalise_phone, phone_digest
from openday.core.ratelimit import limit_hit
from openday.core.refusals import Refusal
from openday.notifications import services as notify
from openday.notifications import sms

from .models import PhoneVerification

logger = logging.getLogger(__name__)

CODE_LENGTH = 6
# From one address, a number may get a new code once a minute and five times an hour;
# from anywhere, ten an hour (so that a stranger, at one address, uses up at most half
# of it); one address may ask for twenty codes an hour (a family, a small office behind
# one router). Addresses are counted as `core.network.client_network` gives them (IPv6
# per /64).
SENDS_PER_PHONE_AND_ADDRESS_MINUTE = 1
SENDS_PER_PHONE_AND_ADDRESS_HOUR = 5
SENDS_PER_PHONE_HOUR = 10
SENDS_PER_ADDRESS_HOUR = 20
VERIFICATION_ID_MAX_LENGTH = 64


class VerificationError(Refusal):
    code = "verification_failed"
    message = _("The verification code could not be checked.")


class VerificationRateLimited(VerificationError):
    code = "rate_limited"
    message = _("Too many codes were requested. Please wait a few minutes and try again.")


class VerificationSendFailed(VerificationError):
    code = "sms_failed"
    message = _("The text message could not be sent. Please try again later.")


class VerificationCodeInvalid(VerificationError):
    # One message for a wrong, expired, used or exhausted code: a guesser learns nothing.
    code = "invalid_code"
    message = _("The code is wrong or has expired. Check the text message or ask for a new code.")


def verification_required() -> bool:
    return settings.OPENDAY_PHONE_VERIFICATION


def _code_digest(phone: str, code: str) -> str:
    return salted_hmac("openday.privacy.code", f"{phone}:{code}", algorithm="sha256").hexdigest()


def _id_digest(verification_id: str) -> str:
    return salted_hmac(
        "openday.privacy.verification-id", verification_id, algorithm="sha256"
    ).hexdigest()


def _new_code() -> str:
    return f"{secrets.randbelow(10**CODE_LENGTH):0{CODE_LENGTH}d}"


def _clean_code(code) -> str | None:
    if not isinstance(code, str):
        return None
    # People copy codes with spaces, or type full-width digits on a Chinese keyboard.
    text = "".join(unicodedata.normalize("NFKC", code).split())
    if len(text) == CODE_LENGTH and text.isascii() and text.isdigit():
        return text
    return None


def verification_send(*, phone: str, client_address: str = "", replacing: str = "") -> str:
    """Send a new one-time code to `phone`; the verification ID to give back to the client
    that asked (and to no one else). `replacing` is the ID of this client's earlier code,
    which stops working; other codes of the number stay as they are: they belong to
    other clients.

    Raises ValidationError for a malformed number, VerificationRateLimited when the
    number or the address asked too often, VerificationSendFailed when the SMS gateway
    refused. The message goes out in the active language.
    """
    phone = normalise_phone(phone)
    digest = phone_digest(phone)
    address = client_address or "unknown"
    # Checked in this order and stopping at the first refusal, so a request refused for
    # its address does not use up the number's own allowance.
    allowed = (
        limit_hit(
            f"sms-address-1h:{address}",
            limit=SENDS_PER_ADDRESS_HOUR,
            window_seconds=3600,
        )
        and limit_hit(
            f"sms-phone-address-1m:{digest}:{address}",
            limit=SENDS_PER_PHONE_AND_ADDRESS_MINUTE,
            window_seconds=60,
        )
        and limit_hit(
            f"sms-phone-address-1h:{digest}:{address}",
            limit=SENDS_PER_PHONE_AND_ADDRESS_HOUR,
            window_seconds=3600,
        )
        and limit_hit(f"sms-phone-1h:{digest}", limit=SENDS_PER_PHONE_HOUR, window_seconds=3600)
    )
    if not allowed:
        raise VerificationRateLimited()

    code = _new_code()
    minutes = settings.OPENDAY_VERIFICATION_CODE_MINUTES
    now = timezone.now()
    if replacing:
        PhoneVerification.objects.filter(
            phone_hash=digest, id_hash=_id_digest(replacing), used_at__isnull=True
        ).update(used_at=now)
    verification_id = secrets.token_urlsafe(24)
    verification = PhoneVerification.objects.create(
        phone_hash=digest,
        id_hash=_id_digest(verification_id),
        code_hash=_code_digest(phone, code),
        expires_at=now + dt.timedelta(minutes=minutes),
    )
    try:
        result = notify.send_verification_code(
            phone=phone, code=code, minutes=minutes, key=f"verification:{verification.pk}"
        )
    except sms.SmsError as exc:
        # Never log the number or the code: the id is enough to find the row.
        logger.warning("SMS gateway refused verification %s: %s", verification.pk, exc.code)
        _spend(verification)
        raise VerificationSendFailed() from None
    except Exception as exc:
        # A backend of the operator's own that fails in its own way: its message may hold
        # the number, so only its type is logged.
        logger.error(
            "SMS backend failed for verification %s: %s", verification.pk, type(exc).__name__
        )
        _spend(verification)
        raise VerificationSendFailed() from None
    if not result.sent:
        logger.error("Verification %s not sent: no SMS template for codes", verification.pk)
        _spend(verification)
        raise VerificationSendFailed()
    return verification_id


def _spend(verification: PhoneVerification) -> None:
    PhoneVerification.objects.filter(pk=verification.pk).update(used_at=timezone.now())


def verification_check(*, phone: str, code, verification_id) -> None:
    """Accept `code` for `phone` once, from the client that holds `verification_id`, or
    raise VerificationCodeInvalid.

    Each attempt is recorded on that one code, and after
    OPENDAY_VERIFICATION_MAX_ATTEMPTS wrong ones the code is dead.
    """
    try:
        phone = normalise_phone(phone)
    except Exception as exc:
        raise VerificationCodeInvalid() from exc
    if (
        not isinstance(verification_id, str)
        or not verification_id
        or len(verification_id) > VERIFICATION_ID_MAX_LENGTH
    ):
        raise VerificationCodeInvalid()
    cleaned = _clean_code(code)
    accepted = False
    with transaction.atomic():
        verification = (
            PhoneVerification.objects.select_for_update()
            .filter(
                phone_hash=phone_digest(phone),
                id_hash=_id_digest(verification_id),
                used_at__isnull=True,
                expires_at__gt=timezone.now(),
            )
            .order_by("-created_at", "-pk")
            .first()
        )
        if verification is None:
            raise VerificationCodeInvalid()
        verification.attempts += 1
        within_attempts = verification.attempts <= settings.OPENDAY_VERIFICATION_MAX_ATTEMPTS
        matches = cleaned is not None and constant_time_compare(
            verification.code_hash, _code_digest(phone, cleaned)
        )
        accepted = within_attempts and matches
        if accepted or not within_attempts:
            verification.used_at = timezone.now()
        verification.save(update_fields=["attempts", "used_at"])
    # Raised after the commit, so the attempt stays counted.
    if not accepted:
        raise VerificationCodeInvalid()
