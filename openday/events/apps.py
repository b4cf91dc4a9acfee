from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "openday.events"
    verbose_name = _("Programme")

    def ready(self):
        from .programme import track

        for model in self.get_models():
            track(model)
