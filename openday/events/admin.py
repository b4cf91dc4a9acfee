from django import forms
from django.contrib import admin, messages
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from openday.core.admin import ImageStorageAdmin
from openday.notifications import services as notify
from openday.registrations import services
from openday.staff import scope
from openday.staff.admin_scope import DistrictScopedAdmin, ScopedInlineMixin, ScopedRelatedFilter

from .models import (
    ActivityFormat,
    AgendaItem,
    District,
    Event,
    Invitation,
    InvitedGroup,
    Notice,
    SubEvent,
    Venue,
)


@admin.register(ActivityFormat, InvitedGroup)
class OrderedNamedAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "sort_order"]
    list_editable = ["sort_order"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(District)
class DistrictAdmin(DistrictScopedAdmin, OrderedNamedAdmin):
    # A district organiser sees their own districts only, here and in every district
    # autocomplete (which reads this queryset).
    district_paths = ("pk",)


@admin.register(Venue)
class VenueAdmin(ImageStorageAdmin):
    list_display = ["name", "district", "address"]
    list_filter = ["district"]
    list_select_related = ["district"]
    search_fields = ["name", "address"]
    prepopulated_fields = {"slug": ["name"]}


class SubEventForm(forms.ModelForm):
    """The activity form of the admin and of the open day's inline: the capacity is
    checked by the booking service, which keeps the row locked until the save."""

    def clean(self):
        cleaned = super().clean()
        capacity = cleaned.get("capacity")
        if (
            self.instance.pk is not None
            and capacity is not None
            and "capacity" in self.changed_data
        ):
            try:
                services.sub_event_capacity_check(sub_event_id=self.instance.pk, capacity=capacity)
            except services.BookingError as error:
                self.add_error("capacity", str(error.message))
        return cleaned


def places_changed(request, *sub_event_ids) -> None:
    """After staff saved something that can open places, the waiting list moves at once."""
    for sub_event_id in {pk for pk in sub_event_ids if pk is not None}:
        services.sub_event_places_changed(sub_event_id=sub_event_id, by_staff=request.user)


# Changes a registrant must hear of.
TOLD_FIELDS = {"starts_at", "venue"}


def activity_changed(request, sub_event, changed_fields) -> None:
    """After staff moved an activity in time or place, its registrants are told."""
    if TOLD_FIELDS & set(changed_fields):
        told = services.sub_event_changed(sub_event_id=sub_event.pk)
        if told:
            messages.info(
                request,
                ngettext(
                    "%(count)d registrant of “%(title)s” will be told of the change.",
                    "%(count)d registrants of “%(title)s” will be told of the change.",
                    told,
                )
                % {"count": told, "title": sub_event.title},
            )


def activity_cancelled(request, sub_event) -> None:
    """Cancelling an activity ends its registrations and tells each registrant."""
    ended = services.sub_event_cancel(
        sub_event_id=sub_event.pk, reason=sub_event.cancellation_reason, by_staff=request.user
    )
    messages.warning(
        request,
        ngettext(
            "“%(title)s” is cancelled: %(count)d registration ended, its registrant is told.",
            "“%(title)s” is cancelled: %(count)d registrations ended, their registrants are told.",
            len(ended),
        )
        % {"count": len(ended), "title": sub_event.title},
    )


class SubEventInline(ScopedInlineMixin, admin.TabularInline):
    model = SubEvent
    form = SubEventForm
    extra = 0
    fields = ["title", "district", "format", "starts_at", "capacity", "is_published"]
    show_change_link = True
    autocomplete_fields = ["district", "format"]

    def get_queryset(self, request):
        return scope.restrict(super().get_queryset(request), request.user, "district")


@admin.register(Event)
class EventAdmin(ImageStorageAdmin):
    list_display = ["title", "starts_on", "ends_on", "organiser", "is_published"]
    list_filter = ["is_published"]
    search_fields = ["title", "theme", "organiser"]
    date_hierarchy = "starts_on"
    prepopulated_fields = {"slug": ["title"]}
    inlines = [SubEventInline]

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is SubEvent:
            places_changed(request, *(sub_event.pk for sub_event, _ in formset.changed_objects))
            for sub_event, changed_fields in formset.changed_objects:
                activity_changed(request, sub_event, changed_fields)


class AgendaItemInline(admin.TabularInline):
    model = AgendaItem
    extra = 0


class InvitationInline(admin.TabularInline):
    model = Invitation
    extra = 0
    fields = ["group", "seats", "code", "note"]
    readonly_fields = ["code"]


@admin.register(SubEvent)
class SubEventAdmin(DistrictScopedAdmin):
    # Fits a 1366 px screen with the filters open: the open day is a filter (a city runs
    # one at a time), and publication and cancellation share one short column.
    list_display = [
        "title",
        "district",
        "format",
        "starts_at_short",
        "capacity",
        "places_left_display",
        "state",
        "staff_links",
    ]
    list_filter = [
        ("event", ScopedRelatedFilter),
        ("district", ScopedRelatedFilter),
        "format",
        "is_main_venue",
        "is_published",
        "is_cancelled",
    ]
    list_select_related = ["event", "district", "format"]
    search_fields = ["title", "venue__name", "description"]
    date_hierarchy = "starts_at"
    autocomplete_fields = ["venue", "district", "format"]
    inlines = [AgendaItemInline, InvitationInline]
    fieldsets = [
        (None, {"fields": ["event", "title", "is_main_venue", "district", "venue", "format"]}),
        (_("When"), {"fields": ["starts_at", "ends_at"]}),
        (
            _("Registration"),
            {
                "fields": [
                    "registration_required",
                    "capacity",
                    "max_party_size",
                    "waitlist_enabled",
                    "registration_opens_at",
                    "registration_closes_at",
                    "invitations_release_at",
                ]
            },
        ),
        (_("Description"), {"fields": ["description", "what_to_bring"]}),
        (_("Publication"), {"fields": ["is_published", "is_cancelled", "cancellation_reason"]}),
    ]

    form = SubEventForm
    actions = ["cancel_activities"]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not scope.sees_all_districts(request.user):
            # Which activity is the main venue is the city organisers' decision.
            readonly.append("is_main_venue")
        return readonly

    def get_queryset(self, request):
        # Places left is an annotation (correlated subqueries), so the changelist shows it
        # for every row in the same single query.
        return super().get_queryset(request).with_places_left()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Capacity, invitation seats or their release time may have opened places.
        if change:
            places_changed(request, form.instance.pk)
            if form.instance.is_cancelled and "is_cancelled" in form.changed_data:
                activity_cancelled(request, form.instance)
            elif not form.instance.is_cancelled:
                activity_changed(request, form.instance, form.changed_data)

    @admin.action(
        description=_("Cancel the selected activities and tell their registrants"),
        permissions=["change"],
    )
    def cancel_activities(self, request, queryset):
        for sub_event in queryset.filter(is_cancelled=False):
            activity_cancelled(request, sub_event)

    @admin.display(description=_("places left"), ordering="places_left")
    def places_left_display(self, obj):
        return obj.places_left

    @admin.display(description=_("starts"), ordering="starts_at")
    def starts_at_short(self, obj):
        # "5月12日 09:30": the year is the open day's, and the full format wraps.
        starts = timezone.localtime(obj.starts_at)
        return f"{date_format(starts, 'MONTH_DAY_FORMAT')} {date_format(starts, 'H:i')}"

    @admin.display(description=pgettext_lazy("activity", "state"))
    def state(self, obj):
        if obj.is_cancelled:
            return _("cancelled")
        return _("published") if obj.is_published else _("draft")

    @admin.display(description=_("registrants"))
    def staff_links(self, obj):
        return format_html(
            '<a href="{}?sub_event__id__exact={}">{}</a>'
            ' · <a href="{}?sub_event__id__exact={}">{}</a>'
            ' · <a href="{}">{}</a> · <a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:registrations_registration_changelist"),
            obj.pk,
            _("list"),
            reverse("admin:notifications_notification_changelist"),
            obj.pk,
            _("messages sent"),
            reverse("staff:message", args=[obj.pk]),
            _("message"),
            reverse("staff:door_list", args=[obj.pk]),
            _("door list"),
            reverse("staff:name_cards", args=[obj.pk]),
            _("name cards"),
        )


@admin.register(Notice)
class NoticeAdmin(DistrictScopedAdmin):
    """Live notices on the day. A notice about the whole open day is the city's to post;
    district organisers post about their own activities."""

    district_paths = ("sub_event__district",)
    list_display = ["text", "event", "sub_event", "is_active", "created_at", "created_by"]
    list_filter = [("event", ScopedRelatedFilter), "is_active"]
    list_editable = ["is_active"]
    list_select_related = ["event", "sub_event", "created_by"]
    search_fields = ["text", "sub_event__title"]
    autocomplete_fields = ["sub_event"]
    fields = ["event", "sub_event", "text", "is_active", "created_by", "created_at", "told"]
    readonly_fields = ["created_by", "created_at", "told"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "sub_event" and not scope.sees_all_districts(request.user):
            field.required = True
        return field

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        # The registrants hear of a shown notice once, however often it is saved.
        told = notify.notify_live_notice(obj)
        if told:
            self.message_user(
                request,
                ngettext(
                    "The notice is being sent to %(count)d registration.",
                    "The notice is being sent to %(count)d registrations.",
                    told,
                )
                % {"count": told},
                messages.INFO,
            )

    @admin.display(description=_("messages to registrants"))
    def told(self, obj):
        if obj is None or obj.pk is None:
            return _(
                "Once posted, the notice is sent to the registrations it concerns, by text "
                "message (its first 20 characters) and by e-mail. The message page of an "
                "activity shows how many that is."
            )
        counts = notify.delivery_counts(notify.live_notice_messages(obj))
        return _("%(sent)d sent, %(waiting)d waiting, %(failed)d failed") % counts


@admin.register(Invitation)
class InvitationAdmin(DistrictScopedAdmin):
    district_paths = ("sub_event__district",)
    list_display = ["sub_event", "group", "seats", "places_used", "code"]
    list_filter = [
        "group",
        ("sub_event__event", ScopedRelatedFilter),
        ("sub_event__district", ScopedRelatedFilter),
    ]
    list_select_related = ["sub_event", "group"]
    search_fields = ["code", "sub_event__title", "note"]
    autocomplete_fields = ["sub_event"]
    readonly_fields = ["code", "created_by", "created_at"]

    def get_queryset(self, request):
        # How many of its places the code has booked, in the changelist query itself.
        return (
            super()
            .get_queryset(request)
            .annotate(
                used=Sum(
                    "registrations__party_size",
                    filter=Q(registrations__status="confirmed"),
                    default=0,
                )
            )
        )

    @admin.display(description=_("places booked"))
    def places_used(self, obj):
        return obj.used

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        # Fewer seats held (or the invitation moved to another activity) opens places.
        places_changed(request, obj.sub_event_id, form.initial.get("sub_event"))

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        places_changed(request, obj.sub_event_id)

    def delete_queryset(self, request, queryset):
        sub_event_ids = set(queryset.values_list("sub_event_id", flat=True))
        super().delete_queryset(request, queryset)
        places_changed(request, *sub_event_ids)
