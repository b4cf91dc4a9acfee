"""Text messages to mobile phones through a configurable backend, like Django's e-mail.

OPENDAY_SMS_BACKEND (SPEC §3) is `console` (default: prints), `file` (one file per message
in OPENDAY_SMS_FILE_PATH), `locmem` (kept in `outbox`, for tests), `tencent` (Tencent Cloud
SMS), `aliyun` (Alibaba Cloud SMS), or the dotted path of a `BaseSmsBackend` subclass.

A message is a kind (see `openday.notifications.kinds`), its ordered parameters and an
optional idempotency key; the backend looks the kind's template ID up in
OPENDAY_SMS_TEMPLATES and skips a kind that has none. `send_sms()` returns an SmsResult
(sent or skipped) or raises SmsTemporaryError (try again later) / SmsPermanentError.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from .backends.base import BaseSmsBackend
from .message import (
    SmsError,
    SmsMessage,
    SmsPermanentError,
    SmsResult,
    SmsStatus,
    SmsTemporaryError,
)
from .segments import sms_segments

__all__ = [
    "BACKENDS",
    "BaseSmsBackend",
    "SmsError",
    "SmsMessage",
    "SmsPermanentError",
    "SmsResult",
    "SmsStatus",
    "SmsTemporaryError",
    "backend_path",
    "get_connection",
    "outbox",
    "send_sms",
    "sms_segments",
]

# The short names OPENDAY_SMS_BACKEND accepts.
BACKENDS = {
    "console": "openday.notifications.sms.backends.console.SmsBackend",
    "file": "openday.notifications.sms.backends.filebased.SmsBackend",
    "locmem": "openday.notifications.sms.backends.locmem.SmsBackend",
    "tencent": "openday.notifications.sms.backends.tencent.SmsBackend",
    "aliyun": "openday.notifications.sms.backends.aliyun.SmsBackend",
}
LOCAL_BACKENDS = {BACKENDS[name] for name in ("console", "file", "locmem")}

# Filled by the locmem backend, like django.core.mail.outbox.
outbox: list[SmsMessage] = []


def backend_path(name: str | None = None) -> str:
    """The dotted path of the backend `name` (default: OPENDAY_SMS_BACKEND)."""
    name = (name or settings.OPENDAY_SMS_BACKEND).strip()
    return BACKENDS.get(name.lower(), name)


def get_connection(backend: str | None = None, **kwargs) -> BaseSmsBackend:
    return import_string(backend_path(backend))(**kwargs)


def send_sms(
    *, phone: str, kind: str, params=(), idempotency_key: str = "", connection=None
) -> SmsResult:
    """Send one message of `kind` to `phone` (11 digits) through the configured backend.

    Returns the result (sent, or skipped when the kind has no template ID); raises
    SmsTemporaryError or SmsPermanentError when the gateway did not take it.
    """
    message = SmsMessage(
        phone=phone, kind=kind, params=tuple(params), idempotency_key=idempotency_key
    )
    return (connection or get_connection()).send(message)
