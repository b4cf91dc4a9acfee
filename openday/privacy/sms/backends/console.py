"""Prints messages instead of sending them: for local use, never in production."""

import sys
import threading

from openday.core.phone import mask_phone

from .base import BaseSmsBackend, SmsMessage


class SmsBackend(BaseSmsBackend):
    def __init__(self, *args, stream=None, **kwargs):
        self.stream = stream or sys.stdout
        self._lock = threading.RLock()
        super().__init__(*args, **kwargs)

    def send_messages(self, messages: list[SmsMessage]) -> int:
        with self._lock:
            for message in messages:
                self.stream.write(f"SMS to {mask_phone(message.phone)}: {message.text}\n")
            self.stream.flush()
        return len(messages)
