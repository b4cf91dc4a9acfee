from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "openday.notifications"
    verbose_name = _("Messages to people")

    def ready(self):
        from . import checks  # noqa: F401  (registers the deployment checks)
