from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from openday.core.admin import ReadOnlyMixin
from openday.core.phone import mask_phone, normalise_phone
from openday.events.models import SubEvent
from openday.notifications.admin import NotificationInline
from openday.staff import exports, scope
from openday.staff import services as staff_services
from openday.staff.admin_scope import DistrictScopedAdmin, PhoneLookupGuard, ScopedRelatedFilter
from openday.staff.models import PhoneDisclosure

from . import services
from .models import NoShowPardon, Participant, Registration, RegistrationLog


class StaffRegistrationForm(forms.Form):
    """Registering someone on their behalf (phone call, at the desk): a plain form whose
    data go to `services.registration_create`, which applies every rule and saves."""

    sub_event = forms.ModelChoiceField(label=_("activity"), queryset=SubEvent.objects.none())
    name = forms.CharField(label=pgettext_lazy("person", "name"), max_length=100)
    # Any spelling ("139 0000 1111", "+86…"): longer than the 11 digits stored.
    phone = forms.CharField(label=_("mobile phone"), max_length=30)
    email = forms.EmailField(label=_("e-mail"), required=False)
    party_size = forms.IntegerField(label=_("party size"), min_value=1, max_value=200, initial=1)
    invitation_code = forms.CharField(label=_("invitation code"), max_length=40, required=False)
    participants = forms.CharField(
        label=_("group members"),
        required=False,
        max_length=6000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "For a group larger than the activity's party size (a class, a delegation): the"
            " others, one per line, name and optional mobile number. The party size is then"
            " counted from this list."
        ),
    )
    allow_overlap = forms.BooleanField(
        label=_("Book even if this number holds a place at the same time"),
        required=False,
        help_text=_(
            "For someone who told you they will manage both, or a group booked under one number."
        ),
    )

    def __init__(self, *args, user, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["sub_event"]
        field.widget = AutocompleteSelect(Registration._meta.get_field("sub_event"), admin_site)
        # Set after the widget, which takes its choices from the queryset.
        field.queryset = scope.sub_events_for(user).select_related("event")

    def clean_name(self):
        name = services.normalise_name(self.cleaned_data["name"])
        if not name:
            raise ValidationError(services.InvalidName.message, code="required")
        return name

    def clean_phone(self):
        return normalise_phone(self.cleaned_data["phone"])

    def clean_participants(self):
        try:
            return services.normalise_participants(self.cleaned_data["participants"])
        except services.InvalidParticipants as error:
            raise ValidationError(error.message, code=error.code) from error

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("participants"):
            cleaned["party_size"] = len(cleaned["participants"]) + 1
            self.errors.pop("party_size", None)
        return cleaned

    def add_booking_error(self, error: services.BookingError) -> None:
        field = BOOKING_ERROR_FIELDS.get(error.code)
        self.add_error(field, ValidationError(str(error.message), code=error.code))


# Refusals of the booking service that concern one field of the staff form.
BOOKING_ERROR_FIELDS = {
    "invalid_name": "name",
    "duplicate": "phone",
    "invalid_code": "invitation_code",
    "invalid_party_size": "party_size",
    "invalid_participants": "participants",
    "overlap": "phone",
}


class MembersInline(ReadOnlyMixin, admin.TabularInline):
    """The members of a group booked under this registration: read-only here (their
    leader corrects names on the manage page; the booking service owns the count)."""

    model = Participant
    extra = 0
    fields = ["position", "name", "masked_phone"]
    readonly_fields = fields
    verbose_name_plural = _("group members")

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("registrations.view_registration")

    @admin.display(description=_("mobile phone"))
    def masked_phone(self, member):
        return member.masked_phone


class HistoryInline(ReadOnlyMixin, admin.TabularInline):
    """What the booking services recorded about the registration: read-only."""

    model = RegistrationLog
    extra = 0
    fields = ["created_at", "action", "done_by", "details"]
    readonly_fields = fields
    verbose_name_plural = _("history")

    def has_view_permission(self, request, obj=None):
        # Whoever may see the registration may see its history (no role needs a
        # permission of its own for it).
        return request.user.has_perm("registrations.view_registration")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    @admin.display(description=_("done by"))
    def done_by(self, entry):
        if entry.actor_id is not None:
            return entry.actor.get_username()
        return entry.get_actor_kind_display()

    @admin.display(description=_("details"))
    def details(self, entry):
        detail = entry.detail or {}
        if entry.action == RegistrationLog.Action.MOVED:
            return _("from %(from)s to %(to)s") % {
                "from": detail.get("from_title", ""),
                "to": detail.get("to_title", ""),
            }
        if entry.action == RegistrationLog.Action.CREATED:
            status = detail.get("status", "")
            label = Registration.Status(status).label if status in Registration.Status else ""
            return _("%(status)s, %(people)s people") % {
                "status": label,
                "people": detail.get("party_size", ""),
            }
        return ""


class CheckedInFilter(admin.SimpleListFilter):
    title = _("arrived")
    parameter_name = "checked_in"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(checked_in_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(checked_in_at__isnull=True)
        return queryset


class NeedsFilter(admin.SimpleListFilter):
    title = _("accessibility needs")
    parameter_name = "needs"

    def lookups(self, request, model_admin):
        return [("any", _("Any")), *Registration.Need.choices]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "any":
            return queryset.exclude(needs="")
        if value in Registration.Need.values:
            # Codes are comma-separated and none is part of another.
            return queryset.filter(needs__contains=value)
        return queryset


class MoveForm(forms.Form):
    to_sub_event = forms.ModelChoiceField(
        label=_("move to activity"), queryset=SubEvent.objects.none()
    )
    allow_overlap = forms.BooleanField(
        label=_("Move even if the number holds another place at that time"), required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_sub_event"].queryset = (
            scope.sub_events_for(user)
            .filter(is_cancelled=False, ends_at__gt=timezone.now())
            .select_related("event")
        )


@admin.register(Registration)
class RegistrationAdmin(PhoneLookupGuard, DistrictScopedAdmin):
    district_paths = ("sub_event__district",)
    change_list_template = "admin/registrations/registration/change_list.html"
    list_display = [
        "reference",
        "name",
        "phone_display",
        "sub_event",
        "party_size",
        "status",
        "invited_group",
        "needs_short",
        "checked_in_at",
        "created_at",
    ]
    list_filter = [
        "status",
        ("sub_event__event", ScopedRelatedFilter),
        ("sub_event__district", ScopedRelatedFilter),
        ("sub_event", ScopedRelatedFilter),
        "invitation__group",
        CheckedInFilter,
        NeedsFilter,
        "source",
    ]
    list_select_related = ["sub_event", "invitation__group"]
    search_fields = ["reference", "name", "phone"]
    date_hierarchy = "created_at"
    inlines = [MembersInline, HistoryInline, NotificationInline]
    actions = [
        "cancel_registrations",
        "check_in_registrations",
        "resend_confirmation",
        "move_registrations",
    ]
    readonly_fields = [
        "sub_event",
        "invitation",
        "party_size",
        "status",
        "reference",
        "source",
        "created_by",
        "created_at",
        "promoted_at",
        "cancelled_at",
        "checked_in_at",
        "consent_version",
        "consent_given_at",
        "anonymised_at",
        "needs_display",
    ]
    fields = ["name", "phone", "email", "language", *readonly_fields]

    @admin.display(description=_("mobile phone"))
    def phone_display(self, obj):
        # The list never shows full numbers; the change page does, to those allowed.
        return obj.masked_phone

    @admin.display(description=_("mobile phone"))
    def masked_phone(self, obj):
        return obj.masked_phone

    @admin.display(description=_("needs"))
    def needs_short(self, obj):
        return obj.needs_display

    @admin.display(description=_("accessibility needs"))
    def needs_display(self, obj):
        return obj.needs_display

    @admin.display(description=_("invited group"), ordering="invitation__group__name")
    def invited_group(self, obj):
        return obj.invitation.group if obj.invitation_id else ""

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Deleting would free places without promoting the waiting list: cancel instead.
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        return False

    def get_fields(self, request, obj=None):
        if not scope.may_view_full_phone(request.user):
            return ["masked_phone" if field == "phone" else field for field in self.fields]
        return self.fields

    def get_readonly_fields(self, request, obj=None):
        if not scope.may_view_full_phone(request.user):
            return ["masked_phone", *self.readonly_fields]
        return self.readonly_fields

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        # Record every rendering of the form that holds the full number, to those allowed:
        # the first showing and a form shown again after an error alike.
        context = getattr(response, "context_data", None) or {}
        if (
            response.status_code == 200
            and context.get("original") is not None
            and scope.may_view_full_phone(request.user)
        ):
            PhoneDisclosure.objects.create(user=request.user, registration=context["original"])
        return response

    def get_search_results(self, request, queryset, search_term):
        # The changelist, its export and admin autocomplete all search through here: what a
        # search may reveal about a phone number is decided by `scope.search_with_phone`.
        found = scope.search_with_phone(
            queryset,
            request.user,
            search_term,
            phone_field="phone",
            text_fields=("reference", "name"),
        )
        return found, False

    def add_view(self, request, form_url="", extra_context=None):
        """Register someone on their behalf: a plain form and the booking service, outside
        the transaction Django's own add view would wrap around it, so that a lock wait
        that runs out is told as "busy" instead of failing the page."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = StaffRegistrationForm(
            request.POST if request.method == "POST" else None,
            user=request.user,
            admin_site=self.admin_site,
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                booking = services.registration_create(
                    sub_event_id=data["sub_event"].pk,
                    name=data["name"],
                    phone=data["phone"],
                    email=data["email"],
                    party_size=data["party_size"],
                    invitation_code=data["invitation_code"],
                    source=Registration.Source.STAFF,
                    created_by=request.user,
                    allow_overlap=data["allow_overlap"],
                    participants=data["participants"],
                )
            except services.BookingError as error:
                form.add_booking_error(error)
            else:
                registration = booking.registration
                self.message_user(
                    request,
                    _("Registered as %(reference)s: %(status)s.")
                    % {
                        "reference": registration.reference,
                        "status": registration.get_status_display(),
                    },
                    messages.SUCCESS,
                )
                return redirect("admin:registrations_registration_change", registration.pk)
        return service_form_page(self, request, form, _("Register someone"))

    # --- actions: every change of seats goes through the booking service -------------

    @admin.action(
        description=_("Cancel the selected registrations (frees places)"),
        permissions=["change"],
    )
    def cancel_registrations(self, request, queryset):
        promoted = 0
        count = 0
        for registration in queryset.active():
            try:
                moved_up = services.registration_cancel(
                    registration=registration, by_staff=request.user
                )
            except services.BookingError as error:
                self.message_user(
                    request, f"{registration.reference}: {error.message}", messages.ERROR
                )
                continue
            promoted += len(moved_up)
            count += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d registration cancelled; %(promoted)d moved up from the waiting list.",
                "%(count)d registrations cancelled; %(promoted)d moved up from the waiting list.",
                count,
            )
            % {"count": count, "promoted": promoted},
        )

    @admin.action(description=_("Mark the selected registrations as checked in"))
    def check_in_registrations(self, request, queryset):
        if not request.user.has_perm(scope.CHECK_IN):
            raise PermissionDenied
        done = 0
        for registration in queryset.select_related("sub_event"):
            try:
                staff_services.registration_check_in(
                    registration=registration, on_the_day=False, by_staff=request.user
                )
            except services.BookingError as refusal:
                self.message_user(
                    request, f"{registration.reference}: {refusal.message}", messages.WARNING
                )
                continue
            done += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d registration checked in.",
                "%(count)d registrations checked in.",
                done,
            )
            % {"count": done},
        )

    @admin.action(
        description=_("Resend the confirmation (with a new manage link)"),
        permissions=["change"],
    )
    def resend_confirmation(self, request, queryset):
        sent = 0
        for registration in queryset.active():
            if services.registration_resend_link(registration=registration, by_staff=request.user):
                sent += 1
        self.message_user(
            request,
            ngettext(
                "A new manage link is sent to %(count)d registration.",
                "A new manage link is sent to %(count)d registrations.",
                sent,
            )
            % {"count": sent},
        )

    @admin.action(
        description=_("Move the selected registrations to another activity"), permissions=["change"]
    )
    def move_registrations(self, request, queryset):
        form = MoveForm(request.POST if "apply" in request.POST else None, user=request.user)
        if form.is_valid():
            target = form.cleaned_data["to_sub_event"]
            moved = 0
            for registration in queryset.active():
                try:
                    staff_services.registration_move(
                        registration=registration,
                        to_sub_event_id=target.pk,
                        by_staff=request.user,
                        allow_overlap=form.cleaned_data["allow_overlap"],
                    )
                except services.BookingError as error:
                    self.message_user(
                        request, f"{registration.reference}: {error.message}", messages.ERROR
                    )
                    continue
                moved += 1
            self.message_user(
                request,
                ngettext("%(count)d registration moved.", "%(count)d registrations moved.", moved)
                % {"count": moved},
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Move registrations to another activity"),
            "opts": self.model._meta,
            "form": form,
            "registrations": queryset.active().select_related("sub_event"),
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action": "move_registrations",
        }
        return TemplateResponse(request, "admin/registrations/registration/move.html", context)

    # --- exports ------------------------------------------------------------------------

    def get_urls(self):
        return [
            path(
                "export/<str:file_format>/",
                self.admin_site.admin_view(self.export_view),
                name="registrations_registration_export",
            ),
            *super().get_urls(),
        ]

    def export_view(self, request, file_format):
        if file_format not in {"csv", "xlsx"} or not self.has_view_permission(request):
            raise PermissionDenied
        # The changelist's own filters, search and scoping decide what is exported.
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            self.message_user(request, _("The filter is not valid."), messages.ERROR)
            return redirect("admin:registrations_registration_changelist")
        queryset = changelist.get_queryset(request)
        full_phone = scope.may_view_full_phone(request.user)
        rows = queryset.count()
        exports.record_export(
            user=request.user,
            what=str(self.model._meta.verbose_name_plural),
            file_format=file_format,
            filters=request.GET.urlencode(),
            rows=rows,
            full_phone=full_phone,
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        data = exports.registration_rows(
            queryset, full_phone=full_phone, typed=file_format == "xlsx"
        )
        if file_format == "csv":
            return exports.csv_response(data, f"registrations-{stamp}.csv")
        sheet_name = settings.OPENDAY_EXPORT_SHEET_NAME or _("Registrations")
        return exports.xlsx_response(data, f"registrations-{stamp}.xlsx", str(sheet_name))

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "export_query": request.GET.urlencode(),
            "export_csv_url": reverse("admin:registrations_registration_export", args=["csv"]),
            "export_xlsx_url": reverse("admin:registrations_registration_export", args=["xlsx"]),
            "import_url": reverse("staff:guest_import"),
        }
        return super().changelist_view(request, extra_context)


class NoShowPardonForm(forms.Form):
    # Wider than the stored 11 digits: staff type "+86 138 0013 8000".
    phone = forms.CharField(label=_("mobile phone"), max_length=32)
    note = forms.CharField(label=_("reason"), max_length=200, required=False)

    def clean_phone(self):
        return normalise_phone(self.cleaned_data["phone"])


@admin.register(NoShowPardon)
class NoShowPardonAdmin(PhoneLookupGuard, admin.ModelAdmin):
    """Lifting a no-show suspension through `services.no_show_suspension_lift`: it forgives
    what the number missed so far. Rows are the record (who, when, why) and are not
    edited."""

    list_display = ["masked_phone", "note", "created_by", "created_at"]
    search_fields = ["phone", "note"]
    date_hierarchy = "created_at"

    def get_search_results(self, request, queryset, search_term):
        found = scope.search_with_phone(
            queryset, request.user, search_term, phone_field="phone", text_fields=("note",)
        )
        return found, False

    @admin.display(description=_("mobile phone"))
    def masked_phone(self, obj):
        return mask_phone(obj.phone)

    def has_change_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = NoShowPardonForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            services.no_show_suspension_lift(
                phone=form.cleaned_data["phone"],
                note=form.cleaned_data["note"],
                by_staff=request.user,
            )
            self.message_user(
                request, _("The suspension is lifted; earlier no-shows no longer count.")
            )
            return redirect("admin:registrations_noshowpardon_changelist")
        return service_form_page(self, request, form, _("Lift a no-show suspension"))


def service_form_page(model_admin, request, form, title):
    """An admin page with a plain form whose data a service saves (instead of a model form
    that saves the object itself)."""
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": model_admin.model._meta,
        "form": form,
        "media": model_admin.media + form.media,
    }
    return TemplateResponse(request, "admin/service_form.html", context)
