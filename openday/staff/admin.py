from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from openday.core.admin import ReadOnlyAdmin

from . import scope
from .models import ExportRecord, MessageDelivery, PhoneDisclosure, StaffMessage, StaffProfile


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    can_delete = False
    filter_horizontal = ["districts"]
    autocomplete_fields = ["sub_events"]


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    """Users with their assigned districts and check-in activities; roles are groups."""

    inlines = [StaffProfileInline]


@admin.register(ExportRecord)
class ExportRecordAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "what", "file_format", "row_count", "full_phone"]
    list_filter = ["file_format", "full_phone"]
    list_select_related = ["user"]
    search_fields = ["user__username", "filters"]
    date_hierarchy = "created_at"


@admin.register(PhoneDisclosure)
class PhoneDisclosureAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "registration", "feedback"]
    list_select_related = ["user", "registration", "feedback"]
    search_fields = ["user__username", "registration__reference"]
    date_hierarchy = "created_at"


class MessageDeliveryInline(admin.TabularInline):
    model = MessageDelivery
    extra = 0
    fields = ["registration", "email", "status", "sent_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(StaffMessage)
class StaffMessageAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "sub_event", "kind", "subject", "sent_by"]
    list_filter = ["kind"]
    list_select_related = ["sub_event", "sent_by"]
    search_fields = ["subject", "sub_event__title"]
    inlines = [MessageDeliveryInline]

    def get_queryset(self, request):
        return scope.restrict(super().get_queryset(request), request.user, "sub_event__district")
