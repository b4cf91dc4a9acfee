from django.contrib import admin

from .models import AuditEntry, ConsentStatement


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read only: an audit trail that staff could edit would prove nothing."""

    list_display = ["created_at", "user", "action", "target", "row_count", "ip_address"]
    list_filter = ["action"]
    list_select_related = ["user"]
    search_fields = ["user__username", "target"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ConsentStatement)
class ConsentStatementAdmin(admin.ModelAdmin):
    """Frozen on first use; shown so staff can answer "what did I agree to?"."""

    list_display = ["version", "first_shown_at"]
    readonly_fields = ["version", "texts", "first_shown_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
