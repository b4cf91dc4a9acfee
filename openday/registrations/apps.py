from django.apps import AppConfig
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _

from . import sold_out


def _clear_after_commit(sub_event_ids, *, now: bool = False) -> None:
    def clear() -> None:
        for sub_event_id in sub_event_ids:
            sold_out.clear(sub_event_id)

    if now:
        # Also at once, so that the staff member who made the change sees it in effect.
        clear()
    transaction.on_commit(clear, robust=True)


def _place_may_be_free(sender, instance, created=False, **kwargs) -> None:
    # A new registration only ever takes places; any other change may give one back.
    if not created:
        _clear_after_commit([instance.sub_event_id])


def _activity_changed(sender, instance, **kwargs) -> None:
    # Capacity, window, cancellation or invitation seats: the activity's own rows.
    # An invitation names its activity; an activity is itself.
    _clear_after_commit([getattr(instance, "sub_event_id", instance.pk)], now=True)


def _activities_changed(sender, sub_event_ids, **kwargs) -> None:
    _clear_after_commit(sub_event_ids, now=True)


class RegistrationsConfig(AppConfig):
    name = "openday.registrations"
    verbose_name = _("Registrations")

    def ready(self) -> None:
        from openday.events.models import Invitation, SubEvent
        from openday.events.programme import activities_changed

        registration = self.get_model("Registration")
        post_save.connect(_place_may_be_free, sender=registration, dispatch_uid="sold-out-save")
        post_delete.connect(_place_may_be_free, sender=registration, dispatch_uid="sold-out-delete")
        # Sold-out marks are kept per activity: only a change to that activity (or a place
        # given back) makes its mark stale, not an edit anywhere in the programme.
        for model in (SubEvent, Invitation):
            uid = f"sold-out:{model._meta.label}"
            post_save.connect(_activity_changed, sender=model, dispatch_uid=uid)
            post_delete.connect(_activity_changed, sender=model, dispatch_uid=uid)
        activities_changed.connect(_activities_changed, dispatch_uid="sold-out-bulk")
