from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import NoShowPardon, Registration
from .phone import mask_phone, normalise_phone


class StaffRegistrationForm(forms.ModelForm):
    """Registering someone on their behalf (phone call, at the desk). Saved through the
    booking service, so every rule applies."""

    invitation_code = forms.CharField(label=_("invitation code"), required=False)

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


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = [
        "reference",
        "name",
        "masked_phone",
        "sub_event",
        "party_size",
        "status",
        "checked_in_at",
        "created_at",
    ]
    list_filter = ["status", "sub_event__event", "sub_event__district", "source"]
    list_select_related = ["sub_event"]
    search_fields = ["reference", "name", "phone"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["sub_event"]
    actions = ["cancel_registrations"]
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
    def masked_phone(self, obj):
        return obj.masked_phone

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = type(
                "StaffRegistrationForm", (StaffRegistrationForm,), {"staff_user": request.user}
            )
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return [*StaffRegistrationForm.Meta.fields, "invitation_code"]
        return self.fields

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else []

    def get_search_results(self, request, queryset, search_term):
        # Staff type numbers the way people say them ("138 0013 8000", "+86…"): search
        # the stored normal form too.
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        try:
            phone = normalise_phone(search_term)
        except ValidationError:
            return queryset, may_have_duplicates
        return queryset | self.model.objects.filter(phone=phone), may_have_duplicates

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

    @admin.action(description=_("Cancel the selected registrations (frees places)"))
    def cancel_registrations(self, request, queryset):
        promoted = 0
        count = 0
        for registration in queryset.active():
            promoted += len(services.registration_cancel(registration=registration))
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
