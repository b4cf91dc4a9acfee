from django.contrib import admin

from .models import ConsentStatement


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
