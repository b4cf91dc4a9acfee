"""The libraries that show up in the admin, named in the admin's language.

Their own app configs leave the section headings as "AXES", "OTP_TOTP" or "Tasks
Database Backend" and some model names untranslated; these subclasses name them for
staff. Model names are set when the apps are ready, as lazy translations, so each request
reads them in its own language.
"""

from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django_tasks_db.apps import TasksAppConfig


def _name_model(app_config: AppConfig, model_name: str, singular, plural) -> None:
    meta = app_config.get_model(model_name)._meta
    meta.verbose_name = singular
    meta.verbose_name_plural = plural


class LoginProtectionConfig(AxesAppConfig):
    verbose_name = _("Login protection")

    def ready(self):
        super().ready()
        _name_model(self, "AccessAttempt", _("failed login"), _("failed logins"))
        _name_model(self, "AccessLog", _("login record"), _("login records"))
        _name_model(self, "AccessFailureLog", _("login failure"), _("login failures"))


class AuthenticatorAppsConfig(AppConfig):
    name = "django_otp.plugins.otp_totp"
    label = "otp_totp"
    default_auto_field = "django.db.models.AutoField"
    verbose_name = _("Two-step login")

    def ready(self):
        _name_model(self, "TOTPDevice", _("authenticator app"), _("authenticator apps"))


class BackgroundTasksConfig(TasksAppConfig):
    verbose_name = _("Background tasks")

    def ready(self):
        super().ready()
        _name_model(self, "DBTaskResult", _("background task"), _("background tasks"))
