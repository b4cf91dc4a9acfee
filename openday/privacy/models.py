"""Personal-data records of the site itself: one-time phone codes, what people consented
to, and who looked at or exported personal data."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class PhoneVerification(models.Model):
    """A one-time code sent to a phone. Neither the phone number nor the code is stored:
    both are kept as keyed hashes (HMAC with the site's secret key), so a copy of the
    database reveals neither. Rows older than a day are deleted by `purge_personal_data`."""

    phone_hash = models.CharField(max_length=64, db_index=True)
    # The verification ID given to the client that asked for the code, hashed: only that
    # client can try the code.
    id_hash = models.CharField(max_length=64, default="")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    # Set when the code was entered correctly (and can never be used again), or when a
    # newer code replaced it.
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("phone verification code")
        verbose_name_plural = _("phone verification codes")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="phoneverification_expires_after_creation",
            )
        ]

    def __str__(self) -> str:
        return f"{self.phone_hash[:8]}… {self.created_at:%Y-%m-%d %H:%M}"


class ConsentStatement(models.Model):
    """The consent text shown on the registration form, frozen per version in every
    language of the site. A registration stores the version (`consent_version`); this row
    says what exactly that person agreed to."""

    version = models.CharField(_("version"), max_length=20, unique=True)
    texts = models.JSONField(_("text in each language"))
    first_shown_at = models.DateTimeField(_("first shown"), auto_now_add=True)

    class Meta:
        verbose_name = _("consent statement")
        verbose_name_plural = _("consent statements")
        ordering = ["-first_shown_at"]

    def __str__(self) -> str:
        return self.version

    def text_for(self, language: str) -> str:
        return self.texts.get(language) or self.texts.get(settings.LANGUAGE_CODE) or ""
