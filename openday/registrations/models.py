"""Registrations: a person (or party) booked on a sub-event.

Every change of seats goes through `openday.registrations.services` (`registration_create`,
`registration_cancel`, ...): never change `status` or `party_size` of a saved registration
anywhere else, or the capacity rule no longer holds.
"""

import hashlib

from django.conf import settings
from django.core import signing
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from openday.core.codes import random_code
from openday.core.phone import mask_phone

REFERENCE_LENGTH = 8
CHECKIN_SALT = "openday.checkin"


def new_reference() -> str:
    # 23**8 ≈ 7.8e10: collisions are rare and the unique constraint catches the rest.
    return random_code(REFERENCE_LENGTH)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def needs_normalise(needs, note: str = "") -> tuple[str, str]:
    """Accessibility needs as stored: known codes in a fixed order, and a short note
    (which implies "other")."""
    note = " ".join((note or "").split())[:200]
    chosen = set(needs or ())
    if note:
        chosen.add(Registration.Need.OTHER)
    codes = [code for code in Registration.Need.values if code in chosen]
    return ",".join(codes), note


def needs_text(needs: str, note: str) -> str:
    labels = dict(Registration.Need.choices)
    words = [str(labels.get(code, code)) for code in needs.split(",") if code]
    if note:
        words = [word for word in words if word != str(Registration.Need.OTHER.label)]
        words.append(note)
    return ", ".join(words)


class RegistrationQuerySet(models.QuerySet):
    def active(self):
        return self.exclude(status=Registration.Status.CANCELLED)

    def confirmed(self):
        return self.filter(status=Registration.Status.CONFIRMED)

    def waitlisted(self):
        return self.filter(status=Registration.Status.WAITLISTED)


class Registration(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("confirmed")
        WAITLISTED = "waitlisted", _("on the waiting list")
        CANCELLED = "cancelled", _("cancelled")

    class Source(models.TextChoices):
        WEB = "web", _("website")
        API = "api", _("API")
        STAFF = "staff", _("staff, on their behalf")
        IMPORT = "import", _("guest list import")
        WALK_IN = "walk_in", _("walk-in at the door")

    class Need(models.TextChoices):
        WHEELCHAIR = "wheelchair", _("wheelchair access")
        SIGN_LANGUAGE = "sign_language", _("sign language")
        LARGE_PRINT = "large_print", _("large print")
        OTHER = "other", _("other")

    sub_event = models.ForeignKey(
        "events.SubEvent",
        verbose_name=_("activity"),
        on_delete=models.PROTECT,
        related_name="registrations",
    )
    invitation = models.ForeignKey(
        "events.Invitation",
        verbose_name=_("invitation"),
        on_delete=models.PROTECT,
        related_name="registrations",
        null=True,
        blank=True,
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=100)
    phone = models.CharField(_("mobile phone"), max_length=11, db_index=True)
    email = models.EmailField(_("e-mail"), blank=True)
    party_size = models.PositiveSmallIntegerField(_("party size"), default=1)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.CONFIRMED
    )
    reference = models.CharField(_("reference"), max_length=12, unique=True, default=new_reference)
    # The manage link (`manage_link`): its token is derived from this salt, and only the
    # token's hash is kept.
    manage_salt = models.CharField(max_length=32, blank=True, editable=False)
    manage_token_hash = models.CharField(max_length=64, unique=True, editable=False)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices, default="web")
    # Accessibility needs: codes of `Need`, comma-separated, and what "other" means.
    needs = models.CharField(_("accessibility needs"), max_length=60, blank=True)
    needs_note = models.CharField(_("other needs"), max_length=200, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    consent_version = models.CharField(_("consent version"), max_length=20, blank=True)
    consent_given_at = models.DateTimeField(_("consent given"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by staff member"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("registered"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    promoted_at = models.DateTimeField(_("moved off the waiting list"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    # How many of the party came (3 of 4), and at which door: set with checked_in_at.
    checked_in_people = models.PositiveSmallIntegerField(_("people arrived"), null=True, blank=True)
    checked_in_device = models.CharField(_("checked in at door"), max_length=40, blank=True)
    anonymised_at = models.DateTimeField(_("personal data removed"), null=True, blank=True)

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["sub_event", "status", "created_at"]),
            # Places left sums party_size per sub-event, status and invitation for every
            # card of the programme: with these columns in the index, PostgreSQL answers
            # from the index alone (measured: 8.7 s → 0.2 s for 500 activities with
            # 100 000 registrations).
            models.Index(
                fields=["sub_event", "status"],
                include=["party_size", "invitation"],
                name="registration_places_idx",
            ),
        ]
        constraints = [
            # One active registration per phone per sub-event. Anonymised rows have an
            # empty phone and are left out.
            models.UniqueConstraint(
                fields=["sub_event", "phone"],
                condition=Q(status__in=["confirmed", "waitlisted"]) & ~Q(phone=""),
                name="registration_one_active_per_phone",
            ),
            models.CheckConstraint(
                condition=Q(party_size__gte=1, party_size__lte=20),
                name="registration_party_size_range",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["confirmed", "waitlisted", "cancelled"]),
                name="registration_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(invitation__isnull=True) | ~Q(status="waitlisted"),
                name="registration_invited_never_waitlisted",
            ),
            models.CheckConstraint(
                condition=Q(checked_in_people__isnull=True)
                | Q(checked_in_people__gte=1, checked_in_people__lte=F("party_size")),
                name="registration_arrived_within_party",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} · {self.name}"

    @property
    def needs_display(self) -> str:
        """The needs in words, as staff read them: "wheelchair access, other: …"."""
        return needs_text(self.needs, self.needs_note)

    @property
    def masked_name(self) -> str:
        """王* for 王芳: what a list at the door shows of a name."""
        name = self.name.strip()
        return name[:1] + "*" * min(max(len(name) - 1, 1), 3) if name else ""

    @property
    def party_size_range(self) -> range:
        return range(1, self.party_size + 1)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def is_active(self) -> bool:
        return self.status != self.Status.CANCELLED

    @property
    def ticket_state(self) -> str:
        """What the ticket says now, in the order a person needs to hear it: the organiser
        cancelled the activity, the registration is cancelled, the person came, the
        activity is over, they wait for a place, or the ticket is valid (the only state
        in which it shows a code to scan)."""
        if self.sub_event.is_cancelled:
            return "activity_cancelled"
        if self.status == self.Status.CANCELLED:
            return "cancelled"
        if self.checked_in_at is not None:
            return "checked_in"
        if self.sub_event.is_past:
            return "over"
        if self.status == self.Status.WAITLISTED:
            return "waitlisted"
        return "valid"

    @property
    def checkin_code(self) -> str:
        """What the ticket's QR code carries: the reference, signed with the site's key.
        No personal data and not the manage token."""
        return signing.Signer(salt=CHECKIN_SALT).sign(self.reference)

    @staticmethod
    def reference_from_checkin_code(code: str) -> str | None:
        try:
            return signing.Signer(salt=CHECKIN_SALT).unsign(code.strip())
        except signing.BadSignature:
            return None


class Participant(models.Model):
    """A member of a group booked under one registration (a class under its teacher, a
    delegation under its leader): named for the door list, with a phone when given. The
    registration's `party_size` counts the leader and these."""

    registration = models.ForeignKey(
        Registration,
        verbose_name=_("registration"),
        on_delete=models.CASCADE,
        related_name="participants",
    )
    position = models.PositiveSmallIntegerField(_("number"))
    name = models.CharField(pgettext_lazy("person", "name"), max_length=100)
    phone = models.CharField(_("mobile phone"), max_length=11, blank=True)

    class Meta:
        verbose_name = _("group member")
        verbose_name_plural = _("group members")
        ordering = ["registration", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "position"], name="participant_position_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone) if self.phone else ""


class NoShowPardon(models.Model):
    """Staff lifted the no-show suspension of a phone number: activities missed before
    `created_at` no longer count against it (see `services.no_show_suspended_until`)."""

    phone = models.CharField(_("mobile phone"), max_length=11, db_index=True)
    note = models.CharField(_("reason"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lifted by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("lifted"), auto_now_add=True)

    class Meta:
        verbose_name = _("lifted no-show suspension")
        verbose_name_plural = _("lifted no-show suspensions")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{mask_phone(self.phone)} · {self.created_at:%Y-%m-%d}"


class NoShowRecord(models.Model):
    """An activity a phone number missed, kept without the number once the registration's
    personal data is removed (the person deleted it, or the retention purge did), so that
    removing one's data does not reset the no-show rule (`services.no_show_suspended_until`
    counts these with the registrations). Only a keyed hash of the number
    (`core.phone.phone_digest`) and when the activity ended; the retention purge deletes a
    record once it is older than the no-show window (OPENDAY_NOSHOW_MONTHS)."""

    phone_hash = models.CharField(max_length=64, db_index=True)
    sub_event = models.ForeignKey("events.SubEvent", on_delete=models.CASCADE, related_name="+")
    missed_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("missed activity (no phone number)")
        verbose_name_plural = _("missed activities (no phone number)")
        ordering = ["-missed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["phone_hash", "sub_event"], name="noshowrecord_once_per_activity"
            )
        ]

    def __str__(self) -> str:
        return f"{self.phone_hash[:8]}… {self.missed_at:%Y-%m-%d}"


class RegistrationLog(models.Model):
    """What happened to a registration, who did it and when. Written only by the booking
    services, in the transaction that made the change, so no caller can forget it and no
    record exists of a change that did not happen."""

    class Action(models.TextChoices):
        CREATED = "created", pgettext_lazy("history", "registered")
        CANCELLED = "cancelled", _("cancelled")
        MOVED = "moved", _("moved to another activity")
        PROMOTED = "promoted", _("moved up from the waiting list")
        CHECKED_IN = "checked_in", _("checked in")
        LINK_RESENT = "link_resent", _("confirmation resent with a new link")
        RENAMED = "renamed", _("group members' names changed")

    class Actor(models.TextChoices):
        PERSON = "person", _("the registrant")
        STAFF = "staff", _("staff member")
        SYSTEM = "system", _("the system")

    registration = models.ForeignKey(
        Registration, verbose_name=_("registration"), on_delete=models.CASCADE, related_name="log"
    )
    action = models.CharField(_("what happened"), max_length=16, choices=Action.choices)
    actor_kind = models.CharField(_("done by"), max_length=8, choices=Actor.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Facts about the change (statuses, party size, activity numbers and titles), never
    # personal data: the record outlives the anonymisation of the registration.
    detail = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("history entry")
        verbose_name_plural = _("registration history")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} · {self.created_at:%Y-%m-%d %H:%M}"


class PhoneLock(models.Model):
    """One row per phone number that has booked, keyed by its keyed hash (never the
    number). Every booking of a number locks its row first, so two bookings of the same
    number at the same moment take turns and the overlap rule sees both."""

    digest = models.CharField(max_length=64, primary_key=True)
    locked_at = models.DateTimeField()

    class Meta:
        verbose_name = _("phone number lock")
        verbose_name_plural = _("phone number locks")


class IdempotentBooking(models.Model):
    """The first answer to a booking that carried an idempotency key (the API's
    `Idempotency-Key` header, the form page's hidden token), written in the booking's own
    transaction: a client whose answer was lost sends the same key again and gets the
    same answer (`openday.registrations.idempotency`). The key is stored as a hash; the
    manage link is derived again from the registration (`manage_link`)."""

    key_hash = models.CharField(max_length=64, unique=True)
    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="+", verbose_name=_("registration")
    )
    # The status the first answer gave, which later changes (a promotion) do not alter.
    status = models.CharField(max_length=16)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("repeatable booking answer")
        verbose_name_plural = _("repeatable booking answers")
