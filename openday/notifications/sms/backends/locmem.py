"""Keeps messages in `openday.notifications.sms.outbox`, for tests."""

import itertools

from ..message import SmsMessage
from .base import BaseSmsBackend

_ids = itertools.count(1)


class SmsBackend(BaseSmsBackend):
    requires_templates = False

    def deliver(self, message: SmsMessage, template_id: str) -> str:
        from openday.notifications import sms

        sms.outbox.append(message)
        return f"locmem-{next(_ids)}"
