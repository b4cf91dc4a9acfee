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


@register(Tags.security, deploy=True)
def check_phone_verification_on(app_configs, **kwargs):
    """Without verified numbers anyone can book with anyone's number (and use up their
    place, or their no-show allowance); public answers stay neutral, but the bookings
    are made."""
    if not settings.OPENDAY_PHONE_VERIFICATION:
        return [
            Warning(
                "Phone verification is off (OPENDAY_PHONE_VERIFICATION): anyone can "
                "register with someone else's phone number.",
                hint="Set OPENDAY_PHONE_VERIFICATION=true with an SMS gateway (docs/sms.md).",
                id="openday.W003",
            )
        ]
    return []


@register(Tags.security, Tags.caches, deploy=True)
def check_cache_shared(app_configs, **kwargs):
    """Rate limits and the limits on SMS codes count in the cache: a cache per process
    lets each gunicorn worker count on its own (five workers, five times every limit)."""
    if not settings.DEBUG and not settings.CACHE_IS_SHARED:
        return [
            Warning(
                "The cache is not shared between processes (CACHE_URL is not Redis): every "
                "app server process counts rate limits on its own.",
                hint=(
                    "Set CACHE_URL=redis://... (docs/deploy.md). Only a site served by one "
                    "single-process server may silence openday.W004."
                ),
                id="openday.W004",
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
