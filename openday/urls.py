from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from openday.api.api import api
from openday.privacy.staff_login import StaffLoginForm
from openday.staff import views as staff_views

from . import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Check-in volunteers land on their page after logging in; everyone else on the admin.
    path(settings.OPENDAY_ADMIN_URL, staff_views.admin_index),
    path(settings.OPENDAY_ADMIN_URL, admin.site.urls),
    path("api/v1/", api.urls),
    path("staff/", include("openday.staff.urls")),
]
# Pages people share by address: Chinese unprefixed, English under /en/.
urlpatterns += i18n_patterns(
    path("r/", include("openday.registrations.urls")),
    path("", include("openday.feedback.urls")),
    path("", include("openday.events.urls")),
    prefix_default_language=False,
)

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler500 = "openday.views.server_error"

admin.site.site_header = _("Open Day administration")
# Password, then a one-time code for staff who enrolled an authenticator app.
admin.site.login_form = StaffLoginForm
admin.site.site_title = _("Open Day administration")
admin.site.index_title = _("Programme, registrations and feedback")
