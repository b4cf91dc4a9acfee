from django.contrib import admin

from openday.staff.admin_scope import DistrictScopedAdmin, ScopedRelatedFilter

from .models import Feedback, Photo


@admin.register(Feedback)
class FeedbackAdmin(DistrictScopedAdmin):
    # District organisers see feedback on their districts or their districts' activities.
    district_paths = ("district", "sub_event__district")
    list_display = ["created_at", "event", "district", "category", "rating", "status"]
    list_filter = [
        "status",
        "category",
        ("event", ScopedRelatedFilter),
        ("district", ScopedRelatedFilter),
        "is_published",
    ]
    list_select_related = ["event", "district"]
    search_fields = ["text", "public_reply"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["sub_event", "assignee"]
    raw_id_fields = ["registration"]


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin):
    list_display = ["__str__", "event", "sub_event", "is_featured", "sort_order"]
    list_filter = ["event", "is_featured"]
    list_select_related = ["event", "sub_event"]
    search_fields = ["caption", "credit"]
    autocomplete_fields = ["sub_event"]
    readonly_fields = ["thumbnail", "web_image", "width", "height"]
