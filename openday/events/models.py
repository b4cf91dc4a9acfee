"""The programme: open days, districts, venues, formats, the bookable sub-events and the
places reserved for invited groups.

How many public places a sub-event has left is defined once, in
`SubEventQuerySet.with_places_left()`; the booking service reads the same annotation on
the row it has locked, so the page, the API and the booking rule can never disagree.
"""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, ExpressionWrapper, F, Min, Q, Sum, Value, When
from django.db.models.functions import Coalesce, Greatest, Now
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from openday.core.codes import random_code
from openday.core.images import CleanImageField

from .programme import ProgrammeQuerySet


def new_invitation_code() -> str:
    # 16 symbols from 23 give about 72 bits: unguessable, and still short enough to type.
    return random_code(16)


class OrderedNamed(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("short name (URL)"), max_length=60, unique=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = ProgrammeQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class District(OrderedNamed):
    class Meta(OrderedNamed.Meta):
        verbose_name = _("district")
        verbose_name_plural = _("districts")


class ActivityFormat(OrderedNamed):
    description = models.TextField(_("description"), blank=True)

    class Meta(OrderedNamed.Meta):
        verbose_name = _("activity format")
        verbose_name_plural = _("activity formats")


class InvitedGroup(OrderedNamed):
    description = models.TextField(_("description"), blank=True)

    class Meta(OrderedNamed.Meta):
        verbose_name = _("invited group")
        verbose_name_plural = _("invited groups")


class Venue(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name (URL)"), max_length=80, unique=True)
    district = models.ForeignKey(
        District,
        verbose_name=_("district"),
        on_delete=models.PROTECT,
        related_name="venues",
        null=True,
        blank=True,
    )
    address = models.CharField(_("address"), max_length=300)
    directions = models.TextField(_("how to get there"), blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    photo = CleanImageField(_("photo"), upload_to="venues/", blank=True)

    objects = ProgrammeQuerySet.as_manager()

    class Meta:
        verbose_name = _("venue")
        verbose_name_plural = _("venues")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="venue_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="venue_longitude_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("events:venue", kwargs={"slug": self.slug})


class EventQuerySet(ProgrammeQuerySet):
    def published(self):
        return self.filter(is_published=True)

    def upcoming(self):
        """Open days that have not ended yet, the soonest first."""
        return self.filter(ends_on__gte=timezone.localdate()).order_by("starts_on")

    def past(self):
        return self.filter(ends_on__lt=timezone.localdate()).order_by("-starts_on")

    def current(self):
        """The open day the home page shows: the next one, or else the latest past one."""
        return self.published().upcoming().first() or self.published().past().first()


class Event(models.Model):
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("short name (URL)"), max_length=80, unique=True)
    theme = models.CharField(_("theme"), max_length=200, blank=True)
    organiser = models.CharField(_("organiser"), max_length=200)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    description = models.TextField(_("description"), blank=True)
    cover_image = CleanImageField(_("cover image"), upload_to="events/", blank=True)
    is_published = models.BooleanField(_("published"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = _("open day")
        verbose_name_plural = _("open days")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="event_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("events:event", kwargs={"slug": self.slug})


class SubEventQuerySet(ProgrammeQuerySet):
    activity_field = "pk"

    def published(self):
        """Sub-events the public may see: published, in a published open day. Cancelled
        ones stay visible so that people who planned to come learn of it."""
        return self.filter(is_published=True, event__is_published=True)

    def upcoming(self):
        return self.filter(ends_at__gte=timezone.now())

    def with_places_left(self):
        """Annotate `confirmed_places`, `reserved_places` and `places_left`.

        `places_left` is what the public may still book: capacity, less confirmed public
        places, less the seats held for invitations. Until `invitations_release_at`, an
        invitation holds all its seats; after it, only those its code has booked.
        Correlated subqueries, so a list of sub-events costs one query however long.
        """
        # Registrations sit above the programme: reached through the reverse relation.
        Registration = self.model._meta.get_field("registrations").related_model

        def total(queryset, field):
            # No ordering in the subqueries: the models' default ordering would add joins
            # (Invitation orders by group) and cost compile time on every booking.
            return Coalesce(
                models.Subquery(
                    queryset.filter(sub_event=models.OuterRef("pk"))
                    .order_by()
                    .values("sub_event")
                    .annotate(total=Sum(field))
                    .values("total")
                ),
                0,
                output_field=models.IntegerField(),
            )

        confirmed = Registration.objects.filter(status=Registration.Status.CONFIRMED)
        # Seats an invitation can still claim: all of them until the release time, none
        # after it (its confirmed parties count as booked either way).
        claimable = Case(
            When(
                Q(invitations_release_at__isnull=False, invitations_release_at__lte=Now()),
                then=Value(0),
            ),
            default=total(Invitation.objects.all(), "seats"),
            output_field=models.IntegerField(),
        )
        invited = total(confirmed.filter(invitation__isnull=False), "party_size")
        public = total(confirmed.filter(invitation__isnull=True), "party_size")
        # Each annotation spells out its own subqueries, as SQL cannot name a column of the
        # same SELECT: written so that each appears once per annotation, which keeps the
        # query (built on every booking) cheap to compile and to run.
        #   reserved = max(invited, claimable)
        #   places_left = max(0, capacity - public - reserved)
        #               = max(0, capacity - max(all confirmed, public + claimable))
        return self.annotate(
            confirmed_places=total(confirmed, "party_size"),
            reserved_places=Greatest(invited, claimable, output_field=models.IntegerField()),
            places_left=Greatest(
                ExpressionWrapper(
                    F("capacity")
                    - Greatest(
                        total(confirmed, "party_size"),
                        public + claimable,
                        output_field=models.IntegerField(),
                    ),
                    output_field=models.IntegerField(),
                ),
                Value(0),
                output_field=models.IntegerField(),
            ),
        )

    # The instants at which what a page says about an activity changes by itself:
    # registration opens or closes, invitation places are released, it starts or ends.
    EDGES = (
        "registration_opens_at",
        "registration_closes_at",
        "invitations_release_at",
        "starts_at",
        "ends_at",
    )

    def next_edge(self, now: dt.datetime) -> dt.datetime | None:
        """The first of these rows' edges after `now`, or None. One query."""
        edges = self.aggregate(
            **{field: Min(field, filter=Q(**{f"{field}__gt": now})) for field in self.EDGES}
        )
        return min((edge for edge in edges.values() if edge is not None), default=None)

    def upcoming_first(self):
        """In time order, but activities that have ended after all the others: a citizen
        opening the programme halfway through the open day sees what is still to come.
        Annotates `finished` (1 or 0), as the database saw it, for the page to group by."""
        finished = Case(
            When(ends_at__lte=Now(), then=Value(1)),
            default=Value(0),
            output_field=models.IntegerField(),
        )
        return self.annotate(finished=finished).order_by("finished", "starts_at", "pk")

    def for_listing(self):
        """What a list of sub-events shows: related names and places left, one query."""
        return (
            self.select_related("event", "district", "venue", "format")
            .with_places_left()
            .order_by("starts_at", "pk")
        )


MAIN_VENUE_CITY_WIDE = _("The main venue is city-wide: leave its district empty.")


class SubEvent(models.Model):
    class Availability(models.TextChoices):
        AVAILABLE = "available", _("places left")
        ALMOST_FULL = "almost_full", _("almost full")
        WAITLIST = "waitlist", _("waiting list")
        FULL = "full", _("full")
        NOT_YET_OPEN = "not_yet_open", _("registration not open yet")
        CLOSED = "closed", _("registration closed")
        PAST = "past", _("finished")
        CANCELLED = "cancelled", _("cancelled")
        INVITATION_ONLY = "invitation_only", _("by invitation")
        NO_REGISTRATION = "no_registration", _("no registration needed")

    event = models.ForeignKey(
        Event, verbose_name=_("open day"), on_delete=models.CASCADE, related_name="sub_events"
    )
    title = models.CharField(_("title"), max_length=200)
    district = models.ForeignKey(
        District,
        verbose_name=_("district"),
        on_delete=models.PROTECT,
        related_name="sub_events",
        null=True,
        blank=True,
        help_text=_("Leave empty for city-wide activities such as the main venue."),
    )
    venue = models.ForeignKey(
        Venue, verbose_name=_("venue"), on_delete=models.PROTECT, related_name="sub_events"
    )
    format = models.ForeignKey(
        ActivityFormat,
        verbose_name=_("activity format"),
        on_delete=models.PROTECT,
        related_name="sub_events",
        null=True,
        blank=True,
    )
    is_main_venue = models.BooleanField(_("main venue"), default=False)
    description = models.TextField(_("description"), blank=True)
    what_to_bring = models.TextField(_("what to bring"), blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    registration_required = models.BooleanField(
        _("registration required"),
        default=True,
        help_text=_("Untick for activities anyone can walk into."),
    )
    capacity = models.PositiveIntegerField(
        _("places"),
        default=0,
        help_text=_("All places, including those reserved for invited groups."),
    )
    max_party_size = models.PositiveSmallIntegerField(
        _("maximum party size"),
        default=2,
        help_text=_("How many people one registration may bring, the registrant included."),
    )
    waitlist_enabled = models.BooleanField(_("waiting list"), default=True)
    registration_opens_at = models.DateTimeField(
        _("registration opens"), null=True, blank=True, help_text=_("Empty: open now.")
    )
    registration_closes_at = models.DateTimeField(
        _("registration closes"),
        null=True,
        blank=True,
        help_text=_("Empty: open until the activity starts."),
    )
    invitations_release_at = models.DateTimeField(
        _("release unused invitation places at"),
        null=True,
        blank=True,
        help_text=_("From this time, invitation places not yet booked go to the public."),
    )
    is_published = models.BooleanField(_("published"), default=False)
    is_cancelled = models.BooleanField(_("cancelled"), default=False)
    cancellation_reason = models.CharField(_("reason for cancellation"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = SubEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["event", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="subevent_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(capacity__gte=0), name="subevent_capacity_gte_0"),
            models.CheckConstraint(
                condition=Q(max_party_size__gte=1, max_party_size__lte=20),
                name="subevent_max_party_size_range",
            ),
            models.CheckConstraint(
                condition=Q(registration_opens_at__isnull=True)
                | Q(registration_closes_at__isnull=True)
                | Q(registration_closes_at__gt=F("registration_opens_at")),
                name="subevent_window_order",
            ),
            # The main venue is the city's own (its opening ceremony leads the home page):
            # it belongs to no district, so no district organiser can hold it.
            models.CheckConstraint(
                condition=Q(is_main_venue=False) | Q(district__isnull=True),
                name="subevent_main_venue_city_wide",
                violation_error_message=MAIN_VENUE_CITY_WIDE,
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("events:subevent", kwargs={"event_slug": self.event.slug, "pk": self.pk})

    def clean(self):
        # Said on the district field (the constraint alone would say it for the whole form).
        if self.is_main_venue and self.district_id is not None:
            raise ValidationError({"district": MAIN_VENUE_CITY_WIDE})

    @property
    def is_past(self) -> bool:
        return self.ends_at <= timezone.now()

    @property
    def registration_closes(self):
        return self.registration_closes_at or self.starts_at

    @property
    def registration_open(self) -> bool:
        """Whether the window is open now; says nothing about places left."""
        now = timezone.now()
        return (
            self.registration_required
            and self.is_published
            and not self.is_cancelled
            and self.starts_at > now
            and (self.registration_opens_at is None or self.registration_opens_at <= now)
            and self.registration_closes > now
        )

    def _annotated(self, name: str) -> int:
        if not hasattr(self, name):
            # Not loaded through with_places_left(): one query for this row.
            fresh = SubEvent.objects.with_places_left().get(pk=self.pk)
            for field in ("places_left", "confirmed_places", "reserved_places"):
                setattr(self, field, getattr(fresh, field))
        return getattr(self, name)

    @property
    def public_places_left(self) -> int:
        return self._annotated("places_left")

    @property
    def availability(self) -> str:
        """One word for the state a citizen sees on a card (an `Availability` value)."""
        now = timezone.now()
        if self.is_cancelled:
            return self.Availability.CANCELLED
        if self.ends_at <= now:
            return self.Availability.PAST
        if not self.registration_required:
            return self.Availability.NO_REGISTRATION
        if self.registration_opens_at and self.registration_opens_at > now:
            return self.Availability.NOT_YET_OPEN
        if not self.registration_open:
            return self.Availability.CLOSED
        left = self.public_places_left
        if left <= 0:
            if self.capacity > 0 and self._annotated("reserved_places") >= self.capacity:
                return self.Availability.INVITATION_ONLY
            return self.Availability.WAITLIST if self.waitlist_enabled else self.Availability.FULL
        if left <= max(3, self.capacity // 10):
            return self.Availability.ALMOST_FULL
        return self.Availability.AVAILABLE

    @property
    def availability_label(self) -> str:
        return self.Availability(self.availability).label


class AgendaItem(models.Model):
    sub_event = models.ForeignKey(
        SubEvent, verbose_name=_("activity"), on_delete=models.CASCADE, related_name="agenda"
    )
    starts_at = models.TimeField(_("starts"))
    ends_at = models.TimeField(_("ends"), null=True, blank=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    objects = ProgrammeQuerySet.as_manager()

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda")
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")),
                name="agendaitem_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%H:%M} {self.title}"


class InvitationQuerySet(ProgrammeQuerySet):
    activity_field = "sub_event_id"


class Invitation(models.Model):
    sub_event = models.ForeignKey(
        SubEvent, verbose_name=_("activity"), on_delete=models.CASCADE, related_name="invitations"
    )
    group = models.ForeignKey(
        InvitedGroup,
        verbose_name=_("invited group"),
        on_delete=models.PROTECT,
        related_name="invitations",
    )
    seats = models.PositiveIntegerField(_("reserved places"))
    code = models.CharField(
        _("invitation code"), max_length=32, unique=True, default=new_invitation_code
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["sub_event", "group"]
        constraints = [
            models.CheckConstraint(condition=Q(seats__gte=1), name="invitation_seats_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.group} · {self.sub_event}"


class NoticeQuerySet(ProgrammeQuerySet):
    def active(self):
        return self.filter(is_active=True)

    def for_page(self, *, event_id: int, sub_event_id: int | None = None):
        """The live notices a page of `event_id` shows: the open day's own, and the
        activity's when the page is about one activity."""
        scope = Q(sub_event__isnull=True)
        if sub_event_id is not None:
            scope |= Q(sub_event_id=sub_event_id)
        return self.active().filter(scope, event_id=event_id).order_by("-created_at")[:5]


class Notice(models.Model):
    """A short notice staff post on the day ("the drone demo moves to 10:30"), shown at
    the top of the open day's public pages, or of one activity's pages and tickets."""

    event = models.ForeignKey(
        Event, verbose_name=_("open day"), on_delete=models.CASCADE, related_name="notices"
    )
    sub_event = models.ForeignKey(
        SubEvent,
        verbose_name=_("activity"),
        on_delete=models.CASCADE,
        related_name="notices",
        null=True,
        blank=True,
        help_text=_("Leave empty for a notice about the whole open day."),
    )
    text = models.CharField(_("notice"), max_length=200)
    is_active = models.BooleanField(_("shown"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("posted by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("posted"), auto_now_add=True)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("live notice")
        verbose_name_plural = _("live notices")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["event", "is_active"])]

    def __str__(self) -> str:
        return self.text

    def clean(self) -> None:
        if self.sub_event_id is not None:
            if self.event_id is None:
                self.event_id = self.sub_event.event_id
            elif self.sub_event.event_id != self.event_id:
                raise ValidationError(
                    {"sub_event": _("This activity belongs to another open day.")}
                )
