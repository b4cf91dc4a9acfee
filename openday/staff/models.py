"""Staff: who may see which districts, and the records of what staff did with personal data
(exports, full phone numbers shown, messages sent to registrants).

Roles are Django groups made by a data migration (`roles.py` names them); what a person
may see is decided in one place, `openday.staff.scope`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class StaffProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="staff_profile",
    )
    districts = models.ManyToManyField(
        "events.District",
        verbose_name=_("districts"),
        blank=True,
        related_name="+",
        help_text=_("A district organiser sees and manages only these districts."),
    )
    sub_events = models.ManyToManyField(
        "events.SubEvent",
        verbose_name=_("activities for check-in"),
        blank=True,
        related_name="+",
        help_text=_("A check-in volunteer checks people in only for these activities."),
    )

    class Meta:
        verbose_name = _("staff assignment")
        verbose_name_plural = _("staff assignments")
        permissions = [
            ("all_districts", _("Can see and manage every district")),
            ("check_in", _("Can check people in at the door")),
            ("view_full_phone", _("Can see full phone numbers")),
        ]

    def __str__(self) -> str:
        return str(self.user)


class ExportRecord(models.Model):
    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"
        PDF = "pdf", "PDF"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("exported by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("exported at"), auto_now_add=True, db_index=True)
    what = models.CharField(_("what"), max_length=100)
    file_format = models.CharField(_("format"), max_length=4, choices=Format.choices)
    filters = models.CharField(_("filters"), max_length=1000, blank=True)
    row_count = models.PositiveIntegerField(_("rows"))
    full_phone = models.BooleanField(_("with full phone numbers"), default=False)

    class Meta:
        verbose_name = _("export record")
        verbose_name_plural = _("export records")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.what} · {self.created_at:%Y-%m-%d %H:%M}"


class PhoneDisclosure(models.Model):
    """A staff member was shown a full phone number: a registrant's, or the contact number
    a citizen left with their feedback."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("shown to"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    registration = models.ForeignKey(
        "registrations.Registration",
        verbose_name=_("registration"),
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
    )
    feedback = models.ForeignKey(
        "feedback.Feedback",
        verbose_name=_("feedback"),
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("shown at"), auto_now_add=True)

    class Meta:
        verbose_name = _("full phone number shown")
        verbose_name_plural = _("full phone numbers shown")
        ordering = ["-created_at"]
        constraints = [
            # Each record names exactly one number's owner.
            models.CheckConstraint(
                condition=Q(registration__isnull=False, feedback__isnull=True)
                | Q(registration__isnull=True, feedback__isnull=False),
                name="phonedisclosure_one_source",
            )
        ]

    def __str__(self) -> str:
        source = self.registration_id or f"feedback {self.feedback_id}"
        return f"{source} · {self.created_at:%Y-%m-%d %H:%M}"


class StaffMessage(models.Model):
    """A message from staff to the registrants of one activity."""

    class Kind(models.TextChoices):
        CHANGE = "change", _("change of time or place")
        CANCELLATION = "cancellation", _("cancellation")
        REMINDER = "reminder", _("reminder the day before")
        SURVEY = "survey", _("survey after the activity")
        OTHER = "other", _("other")

    sub_event = models.ForeignKey(
        "events.SubEvent",
        verbose_name=_("activity"),
        on_delete=models.CASCADE,
        related_name="staff_messages",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"))
    statuses = models.CharField(_("registration statuses"), max_length=60)
    checked_in = models.CharField(_("check-in"), max_length=8, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("message to registrants")
        verbose_name_plural = _("messages to registrants")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.subject


class MessageDelivery(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENT = "sent", _("sent")
        NO_EMAIL = "no_email", _("no e-mail address")
        FAILED = "failed", _("failed")

    message = models.ForeignKey(
        StaffMessage,
        verbose_name=_("message"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    registration = models.ForeignKey(
        "registrations.Registration",
        verbose_name=_("registration"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    email = models.EmailField(_("e-mail"), blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["message", "registration"], name="delivery_once_per_registration"
            )
        ]

    def __str__(self) -> str:
        return f"{self.message_id} → {self.registration_id}"
