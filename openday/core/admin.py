"""Small admin helpers shared by several apps."""

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from .images import ImageNotStored


class ReadOnlyMixin:
    """For admin classes and inlines of records kept as evidence or written only by a
    service: shown, never added, edited or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Records kept as evidence or frozen on first use."""


class ImageStorageAdmin(admin.ModelAdmin):
    """For models with a `CleanImageField`: when the media storage cannot take the image
    (a full disk, a read-only MEDIA_ROOT), the whole save is undone (the admin's
    transaction rolls back and no file is left) and staff are told so on the same page,
    instead of a server error."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ImageNotStored:
            self.message_user(
                request,
                _(
                    "Nothing was saved: the image could not be stored because the server's"
                    " storage is full or cannot be written. Please tell the site's operator,"
                    " or save again without the image."
                ),
                messages.ERROR,
            )
            return HttpResponseRedirect(request.get_full_path())
