"""The interface every SMS backend implements, and what gateways share."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from ..message import SmsError, SmsMessage, SmsResult, SmsStatus

logger = logging.getLogger("openday.notifications.sms")


class BaseSmsBackend:
    """Base class for SMS backends.

    Callers use `send(message)` (one message: an SmsResult, or SmsTemporaryError /
    SmsPermanentError) or `send_messages(messages)` (a result for each, failures included,
    never raising for a refusal). A subclass implements `deliver(message, template_id)`,
    which hands the message to the gateway and returns the provider's message ID, or
    raises an SmsError subclass.

    Kinds: a kind with no template ID in OPENDAY_SMS_TEMPLATES is skipped (SmsStatus.SKIPPED)
    without calling the gateway. Local backends (`requires_templates = False`) stand in for
    a gateway on which every template is approved while OPENDAY_SMS_TEMPLATES is empty, and
    skip what a gateway would skip once the operator lists templates.

    Log lines name the kind, the outcome and the provider's IDs; never the number, the
    parameters (they carry codes and links) or the text.
    """

    requires_templates = True

    def __init__(self, *, templates: dict[str, str] | None = None, **kwargs):
        self.templates = dict(settings.OPENDAY_SMS_TEMPLATES if templates is None else templates)

    def open(self) -> None:
        """Open a connection to the gateway, if it needs one."""

    def close(self) -> None:
        """Close the connection opened by `open()`."""

    def __enter__(self):
        self.open()
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.close()

    def template_id(self, kind: str) -> str:
        return str(self.templates.get(kind) or "")

    def send(self, message: SmsMessage) -> SmsResult:
        template_id = self.template_id(message.kind)
        if not template_id and (self.requires_templates or self.templates):
            logger.info("SMS %s skipped: no template ID for this kind", message.kind)
            return SmsResult(message=message, status=SmsStatus.SKIPPED)
        try:
            provider_message_id = self.deliver(message, template_id)
        except SmsError as exc:
            logger.warning(
                "SMS %s failed (%s): %s, provider code %s, request %s",
                message.kind,
                "temporary" if exc.temporary else "permanent",
                exc.code,
                exc.provider_code or "-",
                exc.request_id or "-",
            )
            raise
        logger.info("SMS %s sent: provider message %s", message.kind, provider_message_id or "-")
        return SmsResult(
            message=message,
            status=SmsStatus.SENT,
            template_id=template_id,
            provider_message_id=provider_message_id,
        )

    def send_messages(self, messages: list[SmsMessage]) -> list[SmsResult]:
        results = []
        for message in messages:
            try:
                results.append(self.send(message))
            except SmsError as exc:
                results.append(SmsResult(message=message, status=SmsStatus.FAILED, error=exc))
        return results

    def deliver(self, message: SmsMessage, template_id: str) -> str:
        raise NotImplementedError("an SMS backend must implement deliver()")


class GatewayBackend(BaseSmsBackend):
    """A provider's gateway, configured from the OPENDAY_SMS_* settings (SPEC §3)."""

    provider = ""
    default_region = ""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.key_id = kwargs.get("key_id", settings.OPENDAY_SMS_KEY_ID)
        self.key_secret = kwargs.get("key_secret", settings.OPENDAY_SMS_KEY_SECRET)
        self.sign_name = kwargs.get("sign_name", settings.OPENDAY_SMS_SIGN_NAME)
        self.app_id = kwargs.get("app_id", settings.OPENDAY_SMS_APP_ID)
        self.region = kwargs.get("region", settings.OPENDAY_SMS_REGION) or self.default_region
        self.timeout = float(kwargs.get("timeout", settings.OPENDAY_SMS_TIMEOUT))
        endpoint = kwargs.get("endpoint", settings.OPENDAY_SMS_ENDPOINT)
        self.scheme, self.host = split_endpoint(endpoint) if endpoint else ("https", "")
        missing = [
            name
            for name, value in [
                ("OPENDAY_SMS_KEY_ID", self.key_id),
                ("OPENDAY_SMS_KEY_SECRET", self.key_secret),
                ("OPENDAY_SMS_SIGN_NAME", self.sign_name),
                *self.extra_required(),
            ]
            if not value
        ]
        if missing:
            raise ImproperlyConfigured(
                f"The {self.provider} SMS backend needs {', '.join(missing)}."
            )

    def extra_required(self) -> list[tuple[str, str]]:
        return []


def split_endpoint(endpoint: str) -> tuple[str, str]:
    """("http", "127.0.0.1:8123") from "http://127.0.0.1:8123"; the SDKs take them apart."""
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ImproperlyConfigured(
            "OPENDAY_SMS_ENDPOINT must be a full URL with scheme and host, "
            "e.g. https://sms.example.cn:8443"
        )
    return parts.scheme, parts.netloc
