"""What a person agrees to when they register.

A consent text never changes under its version: to change the wording, add a new entry
to CONSENT_TEXTS and set OPENDAY_CONSENT_VERSION to it. The first time a version is shown
it is frozen, in every language of the site, in a `ConsentStatement` row; the form shows
that row's text, `registration_create` stores the version with each registration and the
first booking under a version freezes it too.
"""

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_save
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from openday.registrations.models import Registration

from .models import ConsentStatement

CONSENT_TEXTS = {
    "2026-1": _(
        "I agree that the organiser of this open day uses my name and mobile number, and my "
        "e-mail address if I give one, only to manage my registration: to confirm it, remind "
        "me, check me in and tell me about changes. They are not shared with anyone else. "
        "They are anonymised %(days)d days after the activity ends; I can cancel at any time "
        "and delete them myself from my registration page once the activity is over."
    ),
}


def consent_text_for(version: str, language: str) -> str:
    with translation.override(language):
        return str(CONSENT_TEXTS[version]) % {"days": settings.OPENDAY_RETENTION_DAYS}


def consent_statement_current() -> ConsentStatement:
    """The statement for OPENDAY_CONSENT_VERSION, frozen on first use."""
    version = settings.OPENDAY_CONSENT_VERSION
    statement = ConsentStatement.objects.filter(version=version).first()
    if statement is not None:
        return statement
    texts = {code: consent_text_for(version, code) for code, _name in settings.LANGUAGES}
    statement, _created = ConsentStatement.objects.get_or_create(
        version=version, defaults={"texts": texts}
    )
    return statement


def consent_text_current(language: str | None = None) -> str:
    """The consent text to show next to the form's `consent` checkbox, in `language`
    (default: the active language). A statement never changes under its version, so its
    texts are cached: the busiest page costs no query for them."""
    key = f"openday:consent:{settings.OPENDAY_CONSENT_VERSION}"
    texts = cache.get(key)
    if texts is None:
        texts = consent_statement_current().texts
        cache.set(key, texts, timeout=None)
    return ConsentStatement(texts=texts).text_for(language or translation.get_language())


def _freeze_on_booking(sender, instance, created, **kwargs) -> None:
    # After the commit, outside the booking's lock: it concerns no seat.
    if created:
        transaction.on_commit(consent_statement_current)


def connect_signals() -> None:
    """Freeze the statement on the first booking through any channel (form, API, staff,
    import), not only when the form shows it."""
    post_save.connect(_freeze_on_booking, sender=Registration, dispatch_uid="consent-freeze")
