"""Deployment checks (`manage.py check --deploy`) for what Django's own do not cover."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from .consent import CONSENT_TEXTS


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
