from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from openday.core.phone import mask_phone
from openday.staff import scope
from openday.staff.admin_scope import DistrictScopedAdmin, PhoneLookupGuard, ScopedRelatedFilter
from openday.staff.models import PhoneDisclosure

from .forms import PhotoUploadForm
from .models import Feedback, Photo
from .photos import PhotoRejected, photos_create
from .services import feedback_record_reply, feedback_reply_published


class FeedbackAdminForm(forms.ModelForm):
    class Meta:
        model = Feedback
        fields = [
            "event",
            "sub_event",
            "district",
            "category",
            "rating",
            "text",
            "contact_name",
            "contact_phone",
            "contact_email",
            "contact_consent",
            "status",
            "assignee",
            "internal_notes",
            "public_reply",
            "is_published",
            "registration",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        assignee = self.fields.get("assignee")
        if assignee is not None and self.instance.assignee_id:
            # Whoever it is assigned to now stays a valid choice, even if picked by
            # someone who sees more colleagues.
            assignee.queryset = assignee.queryset.model.objects.filter(
                Q(pk__in=assignee.queryset.values("pk")) | Q(pk=self.instance.assignee_id)
            )

    def clean(self):
        data = super().clean()
        if data.get("is_published") and not (data.get("public_reply") or "").strip():
            self.add_error(
                "is_published", _("Write a public reply before publishing a suggestion.")
            )
        return data


@admin.register(Feedback)
class FeedbackAdmin(PhoneLookupGuard, DistrictScopedAdmin):
    # District organisers see feedback on their districts or their districts' activities.
    district_paths = ("district", "sub_event__district")
    phone_fields = ("contact_phone",)
    form = FeedbackAdminForm
    list_display = [
        "created_at",
        "short_text",
        "category",
        "rating",
        "district",
        "status",
        "assignee",
        "is_published",
        "replied_at",
    ]
    list_filter = [
        "status",
        "category",
        "is_published",
        ("event", ScopedRelatedFilter),
        ("district", ScopedRelatedFilter),
        "rating",
    ]
    list_select_related = ["event", "district", "assignee"]
    search_fields = ["text", "public_reply", "internal_notes"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["sub_event"]
    raw_id_fields = ["registration"]
    readonly_fields = ["created_at", "replied_at", "anonymised_at"]
    # What the citizen sent is their word: staff read it, triage it and reply, but do not
    # rewrite it.
    sent_by_citizen = [
        "event",
        "sub_event",
        "district",
        "category",
        "rating",
        "text",
        "contact_name",
        "contact_phone",
        "contact_email",
        "contact_consent",
        "registration",
    ]
    actions = ["publish", "unpublish", "take_on", "close"]
    fieldsets = [
        (
            _("What was sent"),
            {"fields": ["event", "sub_event", "district", "category", "rating", "text"]},
        ),
        (
            _("Contact (only with consent, never published)"),
            {"fields": ["contact_name", "contact_phone", "contact_email", "contact_consent"]},
        ),
        (
            _("Triage"),
            {"fields": ["status", "assignee", "internal_notes"]},
        ),
        (
            _("Public reply"),
            {"fields": ["public_reply", "is_published", "replied_at"]},
        ),
        (
            _("Record"),
            {"fields": ["registration", "created_at", "anonymised_at"]},
        ),
    ]

    @admin.display(description=_("text"))
    def short_text(self, obj):
        return obj.text[:60]

    @admin.display(description=_("contact phone"))
    def contact_phone_masked(self, obj):
        return mask_phone(obj.contact_phone) if obj.contact_phone else ""

    def _phone_field(self, request) -> str:
        # Full numbers only to those allowed to see them (and then recorded).
        if scope.may_view_full_phone(request.user):
            return "contact_phone"
        return "contact_phone_masked"

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        phone = self._phone_field(request)
        return [
            (
                name,
                {
                    **options,
                    "fields": [phone if f == "contact_phone" else f for f in options["fields"]],
                },
            )
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        citizen = [
            self._phone_field(request) if f == "contact_phone" else f for f in self.sent_by_citizen
        ]
        return [*self.readonly_fields, *citizen]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assignee":
            kwargs["queryset"] = scope.assignable_users(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        context = getattr(response, "context_data", None) or {}
        feedback = context.get("original")
        if (
            response.status_code == 200
            and feedback is not None
            and feedback.contact_phone
            and scope.may_view_full_phone(request.user)
        ):
            PhoneDisclosure.objects.create(user=request.user, feedback=feedback)
        return response

    def save_model(self, request, obj, form, change):
        previous = form.initial.get("public_reply", "") if change else ""
        feedback_record_reply(feedback=obj, previous_reply=previous or "")
        super().save_model(request, obj, form, change)
        feedback_reply_published(feedback=obj)

    @admin.action(description=_("Publish on “What we heard” (answered only)"))
    def publish(self, request, queryset):
        count = queryset.answered().update(is_published=True)
        for feedback in queryset.answered().filter(contact_consent=True).select_related("event"):
            feedback_reply_published(feedback=feedback)
        skipped = queryset.filter(public_reply="").count()
        self.message_user(
            request,
            ngettext("%(count)d suggestion published.", "%(count)d suggestions published.", count)
            % {"count": count},
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d suggestion has no public reply yet and was not published.",
                    "%(count)d suggestions have no public reply yet and were not published.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )

    @admin.action(description=_("Withdraw from “What we heard”"))
    def unpublish(self, request, queryset):
        count = queryset.update(is_published=False)
        self.message_user(
            request,
            ngettext("%(count)d suggestion withdrawn.", "%(count)d suggestions withdrawn.", count)
            % {"count": count},
        )

    @admin.action(description=_("Assign to me and mark in progress"))
    def take_on(self, request, queryset):
        count = queryset.filter(status=Feedback.Status.NEW).update(
            status=Feedback.Status.IN_PROGRESS, assignee=request.user
        )
        self.message_user(
            request,
            ngettext("%(count)d suggestion assigned.", "%(count)d suggestions assigned.", count)
            % {"count": count},
        )

    @admin.action(description=_("Close"))
    def close(self, request, queryset):
        count = queryset.update(status=Feedback.Status.CLOSED)
        self.message_user(
            request,
            ngettext("%(count)d suggestion closed.", "%(count)d suggestions closed.", count)
            % {"count": count},
        )


class PhotoAdminForm(forms.ModelForm):
    class Meta:
        model = Photo
        fields = ["sub_event", "caption", "credit", "is_cover", "is_featured", "sort_order"]

    def clean_sub_event(self):
        sub_event = self.cleaned_data["sub_event"]
        if sub_event is not None and sub_event.event_id != self.instance.event_id:
            raise forms.ValidationError(_("This activity belongs to another open day."))
        return sub_event


@admin.register(Photo)
class PhotoAdmin(DistrictScopedAdmin):
    # Photos of a whole open day (no activity) belong to the city organisers.
    district_paths = ("sub_event__district",)
    form = PhotoAdminForm
    list_display = [
        "preview",
        "caption",
        "event",
        "sub_event",
        "is_cover",
        "is_featured",
        "sort_order",
    ]
    list_display_links = ["preview", "caption"]
    list_editable = ["is_featured", "sort_order"]
    list_filter = ["event", "is_featured", "is_cover"]
    list_select_related = ["event", "sub_event"]
    search_fields = ["caption", "credit"]
    autocomplete_fields = ["sub_event"]
    fields = [
        "preview",
        "event",
        "sub_event",
        "caption",
        "credit",
        "is_cover",
        "is_featured",
        "sort_order",
        "width",
        "height",
    ]
    readonly_fields = ["preview", "event", "width", "height"]

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            if obj.is_cover:
                # One cover per open day: choosing a new one replaces the old.
                Photo.objects.filter(event_id=obj.event_id, is_cover=True).exclude(
                    pk=obj.pk
                ).update(is_cover=False)
            super().save_model(request, obj, form, change)

    @admin.display(description=_("photo"))
    def preview(self, obj):
        if not obj.thumbnail:
            return "—"
        return format_html(
            '<img src="{}" alt="{}" class="photo-admin-preview" width="120">',
            obj.thumbnail.url,
            obj.caption,
        )

    def get_urls(self):
        upload = path(
            "upload/",
            self.admin_site.admin_view(self.upload_view),
            name="feedback_photo_upload",
        )
        return [upload, *super().get_urls()]

    def add_view(self, request, form_url="", extra_context=None):
        # Every photo comes in through the upload form, which processes it; there is no
        # other way in.
        return self.upload_view(request)

    def upload_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = PhotoUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                photos = photos_create(
                    event=form.cleaned_data["event"],
                    sub_event=form.cleaned_data["sub_event"],
                    uploads=form.cleaned_data["files"],
                    caption=form.cleaned_data["caption"],
                    credit=form.cleaned_data["credit"],
                )
            except PhotoRejected as error:
                for message in error.messages:
                    form.add_error("files", message)
            else:
                self.message_user(
                    request,
                    ngettext("%(count)d photo uploaded.", "%(count)d photos uploaded.", len(photos))
                    % {"count": len(photos)},
                )
                return redirect(reverse("admin:feedback_photo_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Upload photos"),
            "form": form,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/feedback/photo/upload.html", context)
