"""Text messages to mobile phones, in the style of Django's e-mail backends.

OPENDAY_SMS_BACKEND names the class that sends them. Built in:

- `openday.privacy.sms.backends.console.SmsBackend` prints each message (local use);
- `openday.privacy.sms.backends.filebased.SmsBackend` writes each message to a file in
  OPENDAY_SMS_FILE_PATH (staging, demonstrations);
- `openday.privacy.sms.backends.locmem.SmsBackend` keeps them in `sms.outbox` (tests).

An operator plugs a real gateway by writing a subclass of
`openday.privacy.sms.backends.base.BaseSmsBackend` that implements `send_messages()` and
naming it in OPENDAY_SMS_BACKEND; see docs/security.md.
"""

from django.conf import settings
from django.utils.module_loading import import_string

from .backends.base import BaseSmsBackend, SmsMessage

__all__ = ["BaseSmsBackend", "SmsMessage", "get_connection", "outbox", "send_sms"]

# Filled by the locmem backend, like django.core.mail.outbox.
outbox: list[SmsMessage] = []


def get_connection(backend: str | None = None, *, fail_silently: bool = False, **kwargs):
    backend_class = import_string(backend or settings.OPENDAY_SMS_BACKEND)
    return backend_class(fail_silently=fail_silently, **kwargs)


def send_sms(phone: str, text: str, *, fail_silently: bool = False) -> int:
    """Send one message; returns how many were sent (0 or 1)."""
    connection = get_connection(fail_silently=fail_silently)
    return connection.send_messages([SmsMessage(phone=phone, text=text)])
