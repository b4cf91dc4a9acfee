"""Clean the images already stored for public pages: venue photos, open-day cover images
and the three copies of each gallery photo. Files stored before every public image went
through `openday.core.images` may still hold where a photo was taken (EXIF, XMP) or a JPEG
comment; each such file is replaced by its cleaned copy, and one that cannot be cleaned
(not a photo we would accept today) is taken off the page. Clean files are left alone,
so running it twice changes nothing the second time.
"""

from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from openday.core.images import PhotoRejected, is_clean, photo_process
from openday.events.models import Event, Venue

from ...models import Photo
from ...photos import _save


def _read(field) -> bytes | None:
    try:
        with field.open("rb"):
            return field.read()
    except OSError:
        return None


class Command(BaseCommand):
    help = "Replace stored public images by their cleaned copies (pixels only)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count, change nothing.")

    def handle(self, *args, dry_run=False, **options):
        counts = {"clean": 0, "cleaned": 0, "removed": 0}
        for model, name in ((Venue, "photo"), (Event, "cover_image")):
            for obj in model.objects.exclude(**{name: ""}).iterator():
                self._single(obj, name, counts, dry_run)
        for photo in Photo.objects.iterator():
            self._gallery(photo, counts, dry_run)
        self.stdout.write(
            _(
                "%(clean)d already clean, %(cleaned)d cleaned, %(removed)d removed "
                "(could not be cleaned)."
            )
            % counts
        )
        if dry_run:
            self.stdout.write(_("Dry run: nothing was changed."))

    def _single(self, obj, name, counts, dry_run):
        field = getattr(obj, name)
        content = _read(field)
        if content is not None and is_clean(content):
            counts["clean"] += 1
            return
        old = field.name
        if dry_run:
            counts["cleaned"] += 1
            return
        try:
            if content is None:
                raise PhotoRejected("unreadable")
            # Stored under a new name, cleaned on the way (CleanImageField).
            field.save("image.jpg", ContentFile(content), save=True)
            counts["cleaned"] += 1
        except PhotoRejected:
            setattr(obj, name, "")
            obj.save(update_fields=[name])
            counts["removed"] += 1
        field.storage.delete(old)

    def _gallery(self, photo, counts, dry_run):
        copies = [photo.image, photo.web_image, photo.thumbnail]
        contents = [_read(copy) if copy else b"" for copy in copies]
        if all(content and is_clean(content) for content in contents):
            counts["clean"] += 1
            return
        if dry_run:
            counts["cleaned"] += 1
            return
        old = [copy.name for copy in copies if copy]
        try:
            if not contents[0]:
                raise PhotoRejected("unreadable")
            _save(photo, photo_process(ContentFile(contents[0])), [])
            counts["cleaned"] += 1
        except PhotoRejected:
            # Deleting the row deletes its files (feedback.apps).
            photo.delete()
            counts["removed"] += 1
            return
        for name in old:
            photo.image.storage.delete(name)
