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


class AuditEntry(models.Model):
    """A staff member saw or exported personal data: who, what, when, from where.
    Written by `openday.privacy.audit`; never changed or deleted through the site."""

    class Action(models.TextChoices):
        EXPORT = "export", _("export")
        VIEW_FULL_PHONE = "view_phone", _("viewed full phone numbers")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    # What was seen: a model and the references or ids, or an export's description.
    target = models.CharField(_("what"), max_length=300)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    path = models.CharField(_("page"), max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")
        ordering = ["-created_at", "-pk"]
        permissions = [
            # Staff without it see phone numbers masked (138****5678) in every staff view;
            # exports are governed by the export permission of each model.
            ("view_full_phone", _("Can see full phone numbers")),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_action_display()} · {self.target}"
