from django.contrib import admin

from openday.core.admin import ReadOnlyAdmin

from .models import ConsentStatement


@admin.register(ConsentStatement)
class ConsentStatementAdmin(ReadOnlyAdmin):
    """Frozen on first use; shown so staff can answer "what did I agree to?"."""

    list_display = ["version", "first_shown_at"]
    readonly_fields = ["version", "texts", "first_shown_at"]
