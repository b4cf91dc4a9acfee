"""Gallery photos: each upload is checked and cleaned once, at upload, by the processing
every public image goes through (`openday.core.images`), and kept as three files."""

from __future__ import annotations

import logging
import uuid

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from openday.core.images import (
    THUMBNAIL_WIDTH,
    WEB_WIDTH,
    PhotoRejected,
    ProcessedPhoto,
    photo_process,
)

from .models import Photo

__all__ = ["PhotoRejected", "photo_process", "photos_create"]

logger = logging.getLogger(__name__)


def _save(photo, processed: ProcessedPhoto, written: list[tuple]) -> None:
    """Store the three files and the row. Each file's storage and name goes into
    `written` before it is written, so that a failure halfway can remove them all."""
    stem = uuid.uuid4().hex
    for field, name, content in (
        (photo.image, f"{stem}.jpg", processed.full),
        (photo.web_image, f"{stem}-{WEB_WIDTH}.jpg", processed.web),
        (photo.thumbnail, f"{stem}-{THUMBNAIL_WIDTH}.jpg", processed.thumbnail),
    ):
        # The name the storage will write (fresh uuid stems: nothing is there yet).
        written.append((field.storage, field.field.generate_filename(photo, name)))
        field.save(name, ContentFile(content), save=False)
    photo.width, photo.height = processed.width, processed.height
    photo.save()


def _remove(written: list[tuple]) -> None:
    for storage, name in written:
        try:
            if storage.exists(name):
                storage.delete(name)
        except OSError:
            logger.exception("could not remove %s after a failed upload", name)


def photos_create(*, event, sub_event=None, uploads, caption: str = "", credit: str = ""):
    """Create one Photo per upload, all or none: every file is checked first, and if any
    is refused a PhotoRejected lists each refused file by name and nothing is saved."""
    if sub_event is not None and sub_event.event_id != event.pk:
        raise PhotoRejected(_("The activity belongs to another open day."), code="sub_event")
    processed, errors = [], []
    for upload in uploads:
        try:
            processed.append(photo_process(upload))
        except PhotoRejected as error:
            errors.append(
                ValidationError(
                    _("%(name)s: %(reason)s") % {"name": upload.name, "reason": error.message},
                    code=error.code,
                )
            )
    if errors:
        raise PhotoRejected(errors)
    last = (
        Photo.objects.filter(event=event, sub_event=sub_event)
        .order_by("-sort_order")
        .values_list("sort_order", flat=True)
        .first()
        or 0
    )
    photos, written = [], []
    try:
        with transaction.atomic():
            for offset, result in enumerate(processed, start=1):
                photo = Photo(
                    event=event,
                    sub_event=sub_event,
                    caption=caption,
                    credit=credit,
                    sort_order=min(last + offset, 32767),
                )
                _save(photo, result, written)
                photos.append(photo)
    except OSError as error:
        # A full, read-only or unreachable media storage: no row was kept (the
        # transaction rolled back), and no file may be either, not even half a one.
        logger.error("photo upload could not be stored: %s", error)
        _remove(written)
        raise PhotoRejected(
            _(
                "The photos could not be stored: the server's storage is full or cannot "
                "be written. Nothing was saved. Please tell the site's operator."
            ),
            code="storage",
        ) from error
    except BaseException:
        _remove(written)
        raise
    return photos
