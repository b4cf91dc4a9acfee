from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from openday.events.models import SubEvent
from openday.staff import exports, scope
from openday.staff import services as staff_services
from openday.staff.admin_scope import DistrictScopedAdmin, ScopedRelatedFilter
from openday.staff.models import PhoneDisclosure

from . import notifications, services
from .models import NoShowPardon, Registration
from .phone import mask_phone, normalise_phone


class StaffRegistrationForm(forms.ModelForm):
    """Registering someone on their behalf (phone call, at the desk). Saved through the
    booking service, so every rule applies."""

    invitation_code = forms.CharField(label=_("invitation code"), required=False)
    # Any spelling ("139 0000 1111", "+86…"): longer than the 11 digits stored.
    phone = forms.CharField(label=_("mobile phone"), max_length=30)

    class Meta:
        model = Registration
        fields = ["sub_event", "name", "phone", "email", "party_size"]

    staff_user = None  # set by RegistrationAdmin.get_form

    def clean_phone(self):
        return normalise_phone(self.cleaned_data["phone"])

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        # The booking is the validation: only the service knows whether a place is left.
        # The admin saves right after a valid form, so booking here keeps a refused
        # booking an ordinary form error instead of a half-saved object.
        try:
            self.booking = services.registration_create(
                sub_event_id=cleaned["sub_event"].pk,
                name=cleaned["name"],
                phone=cleaned["phone"],
                email=cleaned.get("email", ""),
                party_size=cleaned["party_size"],
                invitation_code=cleaned.get("invitation_code", ""),
                source=Registration.Source.STAFF,
                created_by=self.staff_user,
            )
        except services.BookingError as error:
            raise ValidationError(error.message, code=error.code) from error
        return cleaned


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


class MoveForm(forms.Form):
    to_sub_event = forms.ModelChoiceField(
        label=_("move to activity"), queryset=SubEvent.objects.none()
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_sub_event"].queryset = (
            scope.sub_events_for(user)
            .filter(is_cancelled=False, ends_at__gt=timezone.now())
            .select_related("event")
        )


@admin.register(Registration)
class RegistrationAdmin(DistrictScopedAdmin):
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
        "source",
    ]
    list_select_related = ["sub_event", "invitation__group"]
    search_fields = ["reference", "name", "phone"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["sub_event"]
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
    ]
    fields = ["name", "phone", "email", "language", *readonly_fields]

    @admin.display(description=_("mobile phone"))
    def phone_display(self, obj):
        # The list never shows full numbers; the change page does, to those allowed.
        return obj.masked_phone

    @admin.display(description=_("mobile phone"))
    def masked_phone(self, obj):
        return obj.masked_phone

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

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = type(
                "StaffRegistrationForm", (StaffRegistrationForm,), {"staff_user": request.user}
            )
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return [*StaffRegistrationForm.Meta.fields, "invitation_code"]
        if not scope.may_view_full_phone(request.user):
            return ["masked_phone" if field == "phone" else field for field in self.fields]
        return self.fields

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        if not scope.may_view_full_phone(request.user):
            return ["masked_phone", *self.readonly_fields]
        return self.readonly_fields

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        # Record that the full number was shown (only rendered pages, only to those allowed).
        if (
            request.method == "GET"
            and response.status_code == 200
            and scope.may_view_full_phone(request.user)
        ):
            obj = response.context_data.get("original")
            if obj is not None:
                PhoneDisclosure.objects.create(user=request.user, registration=obj)
        return response

    def get_search_results(self, request, queryset, search_term):
        # Staff type numbers the way people say them ("138 0013 8000", "+86…"). A whole
        # mobile number is looked up as stored, through its index, within the rows this
        # user may see (no name or reference holds eleven digits); anything else is
        # searched in part in reference, name and phone ("8000", the last digits).
        try:
            phone = normalise_phone(search_term)
        except ValidationError:
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(phone=phone), False

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # Already saved by the booking service in StaffRegistrationForm.clean().
        booking = form.booking
        obj.pk = booking.registration.pk
        obj.reference = booking.registration.reference
        obj.status = booking.registration.status
        obj._state.adding = False

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
            self.log_change(request, registration, _("Cancelled by staff."))
            for other in moved_up:
                self.log_change(request, other, _("Moved up from the waiting list."))
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
                staff_services.registration_check_in(registration=registration, on_the_day=False)
            except staff_services.CheckInRefused as refusal:
                self.message_user(
                    request, f"{registration.reference}: {refusal.message}", messages.WARNING
                )
                continue
            done += 1
            self.log_change(request, registration, _("Checked in by staff."))
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
            if not registration.email:
                continue
            # Only the hash of the manage token is stored, so a resent message carries a
            # new link; the old one stops working.
            token = registration.set_manage_token()
            registration.save(update_fields=["manage_token_hash", "updated_at"])
            notifications.send_registration_email.enqueue(
                registration.pk, registration.status, Registration.manage_url_for(token)
            )
            sent += 1
            self.log_change(request, registration, _("Confirmation resent."))
        self.message_user(
            request,
            ngettext(
                "Confirmation resent to %(count)d registration with an e-mail address.",
                "Confirmation resent to %(count)d registrations with an e-mail address.",
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
                    )
                except services.BookingError as error:
                    self.message_user(
                        request, f"{registration.reference}: {error.message}", messages.ERROR
                    )
                    continue
                moved += 1
                self.log_change(
                    request,
                    registration,
                    _("Moved to %(activity)s as %(reference)s.")
                    % {"activity": target.title, "reference": registration.reference},
                )
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
        data = exports.registration_rows(queryset, full_phone=full_phone)
        if file_format == "csv":
            return exports.csv_response(data, f"registrations-{stamp}.csv")
        return exports.xlsx_response(data, f"registrations-{stamp}.xlsx", "registrations")

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "export_query": request.GET.urlencode(),
            "export_csv_url": reverse("admin:registrations_registration_export", args=["csv"]),
            "export_xlsx_url": reverse("admin:registrations_registration_export", args=["xlsx"]),
            "import_url": reverse("staff:guest_import"),
        }
        return super().changelist_view(request, extra_context)


class NoShowPardonForm(forms.ModelForm):
    # Wider than the stored 11 digits: staff type "+86 138 0013 8000".
    phone = forms.CharField(label=_("mobile phone"), max_length=32)

    class Meta:
        model = NoShowPardon
        fields = ["phone", "note"]

    def clean_phone(self):
        return normalise_phone(self.cleaned_data["phone"])


@admin.register(NoShowPardon)
class NoShowPardonAdmin(admin.ModelAdmin):
    """Lifting a no-show suspension: adding a row forgives what the number missed so far
    (see `services.no_show_suspended_until`). Rows are a record and are not edited."""

    form = NoShowPardonForm
    list_display = ["masked_phone", "note", "created_by", "created_at"]
    search_fields = ["phone", "note"]
    date_hierarchy = "created_at"

    @admin.display(description=_("mobile phone"))
    def masked_phone(self, obj):
        return mask_phone(obj.phone)

    def has_change_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        obj.created_by = request.user
        super().save_model(request, obj, form, change)
