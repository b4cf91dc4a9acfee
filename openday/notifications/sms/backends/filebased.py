"""Writes each message to a file in OPENDAY_SMS_FILE_PATH, one file per message."""

import datetime as dt
import secrets
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from ..message import UNAVAILABLE, SmsMessage, SmsTemporaryError
from .base import BaseSmsBackend


class SmsBackend(BaseSmsBackend):
    requires_templates = False

    def __init__(self, *, file_path=None, **kwargs):
        super().__init__(**kwargs)
        self.file_path = Path(file_path or settings.OPENDAY_SMS_FILE_PATH)
        if self.file_path.exists() and not self.file_path.is_dir():
            raise ImproperlyConfigured(
                f"OPENDAY_SMS_FILE_PATH is not a directory: {self.file_path}"
            )

    def deliver(self, message: SmsMessage, template_id: str) -> str:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
        name = f"{stamp}-{secrets.token_hex(4)}"
        try:
            self.file_path.mkdir(parents=True, exist_ok=True)
            (self.file_path / f"{name}.txt").write_text(
                f"To: {message.phone}\n\n{message.text}\n", encoding="utf-8"
            )
        except OSError as exc:
            # A full or unwritable disk may come right: the caller tries again later.
            raise SmsTemporaryError(UNAVAILABLE, provider_code=type(exc).__name__) from None
        return name
