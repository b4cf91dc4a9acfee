"""Writes each message to a file in OPENDAY_SMS_FILE_PATH, one file per message."""

import datetime as dt
import secrets
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .base import BaseSmsBackend, SmsMessage


class SmsBackend(BaseSmsBackend):
    def __init__(self, *args, file_path=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.file_path = Path(file_path or settings.OPENDAY_SMS_FILE_PATH)
        if self.file_path.exists() and not self.file_path.is_dir():
            raise ImproperlyConfigured(
                f"OPENDAY_SMS_FILE_PATH is not a directory: {self.file_path}"
            )

    def send_messages(self, messages: list[SmsMessage]) -> int:
        sent = 0
        try:
            self.file_path.mkdir(parents=True, exist_ok=True)
            for message in messages:
                stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
                name = f"{stamp}-{secrets.token_hex(4)}.txt"
                (self.file_path / name).write_text(
                    f"To: {message.phone}\n\n{message.text}\n", encoding="utf-8"
                )
                sent += 1
        except OSError:
            if not self.fail_silently:
                raise
        return sent
