from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "openday.privacy"
    verbose_name = _("Security and personal data")

    def ready(self):
        from . import checks  # noqa: F401  (registers the deployment checks)
        from .consent import connect_signals

        connect_signals()
