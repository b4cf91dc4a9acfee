"""What citizens tell us (ratings, suggestions, staff replies) and photos of what happened."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from openday.events.programme import ProgrammeQuerySet


class FeedbackQuerySet(ProgrammeQuerySet):
    def published(self):
        return self.filter(is_published=True).exclude(public_reply="")

    def suggestions(self):
        """What citizens wrote of their own accord: everything but survey answers."""
        return self.exclude(category=Feedback.Category.SURVEY)

    def answered(self):
        return self.exclude(public_reply="")


class Feedback(models.Model):
    class Category(models.TextChoices):
        SUGGESTION = "suggestion", _("suggestion")
        PRAISE = "praise", _("praise")
        COMPLAINT = "complaint", _("complaint")
        QUESTION = "question", _("question")
        SURVEY = "survey", _("satisfaction survey")

    class Status(models.TextChoices):
        NEW = "new", _("new")
        IN_PROGRESS = "in_progress", _("in progress")
        ANSWERED = "answered", _("answered")
        CLOSED = "closed", _("closed")

    event = models.ForeignKey(
        "events.Event",
        verbose_name=_("open day"),
        on_delete=models.CASCADE,
        related_name="feedback",
    )
    sub_event = models.ForeignKey(
        "events.SubEvent",
        verbose_name=_("activity"),
        on_delete=models.SET_NULL,
        related_name="feedback",
        null=True,
        blank=True,
    )
    district = models.ForeignKey(
        "events.District",
        verbose_name=_("district"),
        on_delete=models.SET_NULL,
        related_name="feedback",
        null=True,
        blank=True,
    )
    registration = models.OneToOneField(
        "registrations.Registration",
        verbose_name=_("registration"),
        on_delete=models.SET_NULL,
        related_name="feedback",
        null=True,
        blank=True,
    )
    category = models.CharField(
        _("category"), max_length=12, choices=Category.choices, default=Category.SUGGESTION
    )
    rating = models.PositiveSmallIntegerField(_("rating (1–5)"), null=True, blank=True)
    text = models.TextField(_("text"), max_length=2000, blank=True)
    contact_name = models.CharField(_("contact name"), max_length=100, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=11, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_consent = models.BooleanField(_("agreed to be contacted"), default=False)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.NEW
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    internal_notes = models.TextField(_("internal notes"), blank=True)
    public_reply = models.TextField(_("public reply"), blank=True)
    replied_at = models.DateTimeField(_("answered"), null=True, blank=True)
    is_published = models.BooleanField(_("published"), default=False)
    created_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)
    anonymised_at = models.DateTimeField(_("personal data removed"), null=True, blank=True)

    objects = FeedbackQuerySet.as_manager()

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback and suggestions")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="feedback_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=~Q(rating__isnull=True, text=""),
                name="feedback_has_rating_or_text",
            ),
            # Only an answered suggestion may appear on the public "what we heard" page.
            models.CheckConstraint(
                condition=Q(is_published=False) | ~Q(public_reply=""),
                name="feedback_published_has_reply",
            ),
        ]
        indexes = [models.Index(fields=["event", "is_published", "replied_at"])]

    def __str__(self) -> str:
        return (self.text[:40] or str(self.rating)) if self.pk else "feedback"


class PhotoQuerySet(ProgrammeQuerySet):
    def for_gallery(self):
        """Only the columns a gallery shows: one query, no related rows."""
        return self.only(
            "pk",
            "event_id",
            "sub_event_id",
            "image",
            "thumbnail",
            "web_image",
            "width",
            "height",
            "caption",
            "credit",
            "sort_order",
            "is_cover",
        ).order_by("sort_order", "pk")


class Photo(models.Model):
    """A photo as served: `image` is a clean copy of the upload (re-encoded from its pixels
    alone, turned upright), `thumbnail` and `web_image` are the 400 px and 1200 px
    versions. All three are written once, by `openday.feedback.photos.photos_create`;
    never per request."""

    event = models.ForeignKey(
        "events.Event", verbose_name=_("open day"), on_delete=models.CASCADE, related_name="photos"
    )
    sub_event = models.ForeignKey(
        "events.SubEvent",
        verbose_name=_("activity"),
        on_delete=models.CASCADE,
        related_name="photos",
        null=True,
        blank=True,
    )
    image = models.ImageField(_("photo"), upload_to="photos/%Y/%m/")
    thumbnail = models.ImageField(_("thumbnail"), upload_to="photos/%Y/%m/", blank=True)
    web_image = models.ImageField(_("web version"), upload_to="photos/%Y/%m/", blank=True)
    width = models.PositiveIntegerField(_("width"), default=0)
    height = models.PositiveIntegerField(_("height"), default=0)
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    credit = models.CharField(_("credit"), max_length=100, blank=True)
    is_featured = models.BooleanField(_("show in the report"), default=False)
    is_cover = models.BooleanField(
        _("cover of the open day"),
        default=False,
        help_text=_("One photo per open day can be its cover."),
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    objects = PhotoQuerySet.as_manager()

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["sort_order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["event"], condition=Q(is_cover=True), name="photo_one_cover_per_event"
            ),
        ]

    def __str__(self) -> str:
        return self.caption or self.image.name
