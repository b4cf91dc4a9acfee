"""Staff see what was sent to whom and what happened to it: read-only records, masked
numbers, no link and no code (they are never stored)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from openday.core.admin import ReadOnlyMixin
from openday.staff.admin_scope import DistrictScopedAdmin, ScopedRelatedFilter

from .models import Notification

FIELDS = [
    "created_at",
    "kind",
    "channel",
    "recipient",
    "status",
    "attempts",
    "error_code",
    "send_after",
    "sent_at",
    "provider_message_id",
]


class NotificationInline(ReadOnlyMixin, admin.TabularInline):
    """The messages of one registration, on its page."""

    model = Notification
    extra = 0
    fields = ["created_at", "kind", "channel", "status", "attempts", "error_code", "sent_at"]
    readonly_fields = fields
    verbose_name_plural = _("messages")

    def has_view_permission(self, request, obj=None):
        # Whoever may see the registration may see what it was sent.
        return request.user.has_perm("registrations.view_registration")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyMixin, DistrictScopedAdmin):
    """Every message, filterable by activity: the messages of an activity are this list
    with its filter (the activities list links to it)."""

    district_paths = ("sub_event__district",)
    list_display = [
        "created_at",
        "kind",
        "channel",
        "recipient",
        "sub_event",
        "status",
        "attempts",
        "error_code",
        "sent_at",
    ]
    list_filter = ["status", "channel", "kind", ("sub_event", ScopedRelatedFilter)]
    list_select_related = ["registration", "sub_event"]
    date_hierarchy = "created_at"
    search_fields = ["registration__reference", "sub_event__title"]
    fields = FIELDS + ["registration", "sub_event", "template_id", "params"]
    readonly_fields = fields

    @admin.display(description=_("to"))
    def recipient(self, notification):
        return notification.recipient_display

    @admin.display(description=_("parameters"))
    def params(self, notification):
        return ", ".join(f"{name}={value}" for name, value in notification.params.items())
