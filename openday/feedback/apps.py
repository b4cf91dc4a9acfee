from django.apps import AppConfig
from django.db import transaction
from django.db.models.signals import post_delete
from django.utils.translation import gettext_lazy as _

PHOTO_FILES = ("image", "web_image", "thumbnail")


def _delete_photo_files(sender, instance, **kwargs) -> None:
    """A deleted photo takes its three files with it, once the deletion is committed (a
    rolled-back delete keeps them). Pictures of people are not left behind on disk."""
    files = [getattr(instance, name) for name in PHOTO_FILES]
    names = [(field.storage, field.name) for field in files if field and field.name]

    def delete() -> None:
        for storage, name in names:
            storage.delete(name)

    transaction.on_commit(delete)


class FeedbackConfig(AppConfig):
    name = "openday.feedback"
    verbose_name = _("Feedback and photos")

    def ready(self) -> None:
        from openday.events.programme import track

        # "What we heard" and the galleries are part of the public pages.
        track(self.get_model("Feedback"))
        track(self.get_model("Photo"))
        post_delete.connect(
            _delete_photo_files, sender=self.get_model("Photo"), dispatch_uid="photo-files"
        )
