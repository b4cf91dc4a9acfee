from django.apps import AppConfig
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


def _place_may_be_free(sender, instance, created=False, **kwargs) -> None:
    # A new registration only ever takes places; any other change may give one back.
    if not created:
        from . import sold_out

        transaction.on_commit(lambda: sold_out.clear(instance.sub_event_id), robust=True)


class RegistrationsConfig(AppConfig):
    name = "openday.registrations"
    verbose_name = _("Registrations")

    def ready(self) -> None:
        registration = self.get_model("Registration")
        post_save.connect(_place_may_be_free, sender=registration, dispatch_uid="sold-out-save")
        post_delete.connect(_place_may_be_free, sender=registration, dispatch_uid="sold-out-delete")
