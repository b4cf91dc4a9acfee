"""The admin site, with a "view on site" link that respects district scoping.

Django's own `view_on_site` view redirects any logged-in staff member to the public page of
any object by its id, including activities of other districts and pages nobody published
yet (their address is a fact too). Here it goes through the object's admin class: only
objects its changelist would show, and only pages the public can see.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.urls import path


class OpenDayAdminSite(admin.AdminSite):
    # The lists need the width of an office screen (1366 px) with their filters open; the
    # index page lists the sections instead of a column beside every page.
    enable_nav_sidebar = False

    def get_urls(self):
        scoped = path(
            "r/<int:content_type_id>/<path:object_id>/",
            self.admin_view(self.view_on_site),
            name="view_on_site",
        )
        # Listed first, so it answers instead of Django's unscoped view of the same name.
        return [scoped, *super().get_urls()]

    def view_on_site(self, request, content_type_id, object_id):
        from django.contrib.contenttypes.models import ContentType

        try:
            model = ContentType.objects.get_for_id(content_type_id).model_class()
        except ContentType.DoesNotExist as error:
            raise Http404 from error
        model_admin = self._registry.get(model)
        if model_admin is None or not model_admin.has_view_permission(request):
            raise Http404
        try:
            obj = model_admin.get_queryset(request).filter(pk=object_id).first()
        except (ValueError, ValidationError) as error:
            raise Http404 from error
        if obj is None or not model_admin.view_on_site:
            raise Http404
        manager = model._default_manager
        # A model with a published() queryset has a public page only once published.
        if hasattr(manager, "published") and not manager.published().filter(pk=obj.pk).exists():
            raise Http404
        if callable(model_admin.view_on_site):
            url = model_admin.view_on_site(obj)
        else:
            url = obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else None
        if not url:
            raise Http404
        return HttpResponseRedirect(url)


class OpenDayAdminConfig(AdminConfig):
    default_site = "openday.staff.admin_site.OpenDayAdminSite"
