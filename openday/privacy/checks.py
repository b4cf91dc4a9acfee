"""Deployment checks (`manage.py check --deploy`) for what Django's own do not cover."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from .consent import CONSENT_TEXTS

DEVELOPMENT_SMS_BACKENDS = {
    "openday.privacy.sms.backends.console.SmsBackend",
    "openday.privacy.sms.backends.filebased.SmsBackend",
    "openday.privacy.sms.backends.locmem.SmsBackend",
}


@register(Tags.security, deploy=True)
def check_phone_verification_backend(app_configs, **kwargs):
    if settings.OPENDAY_PHONE_VERIFICATION and (
        settings.OPENDAY_SMS_BACKEND in DEVELOPMENT_SMS_BACKENDS
    ):
        return [
            Warning(
                "Phone verification is on but codes are not sent to phones.",
                hint="Set OPENDAY_SMS_BACKEND to a gateway backend (docs/security.md).",
                id="openday.W001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_rate_limits_on(app_configs, **kwargs):
    if not settings.OPENDAY_RATELIMIT:
        return [
            Warning(
                "Rate limits are off (OPENDAY_RATELIMIT=off).",
                hint="Turn them off only for benchmarks.",
                id="openday.W002",
            )
        ]
    return []


@register()
def check_consent_text_exists(app_configs, **kwargs):
    version = settings.OPENDAY_CONSENT_VERSION
    if version not in CONSENT_TEXTS:
        return [
            Error(
                f"No consent text for OPENDAY_CONSENT_VERSION={version!r}.",
                hint="Add it to CONSENT_TEXTS in openday/privacy/consent.py.",
                id="openday.E001",
            )
        ]
    return []
