"""Prints messages instead of sending them: for local use, never in production."""

import sys
import threading

from openday.core.phone import mask_phone

from ..message import SmsMessage
from .base import BaseSmsBackend


class SmsBackend(BaseSmsBackend):
    requires_templates = False

    def __init__(self, *, stream=None, **kwargs):
        self.stream = stream or sys.stdout
        self._lock = threading.RLock()
        super().__init__(**kwargs)

    def deliver(self, message: SmsMessage, template_id: str) -> str:
        with self._lock:
            self.stream.write(f"SMS to {mask_phone(message.phone)}: {message.text}\n")
            self.stream.flush()
        return ""
