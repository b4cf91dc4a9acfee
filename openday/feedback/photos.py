"""Gallery photos: each upload is checked and cleaned once, at upload, by the processing
every public image goes through (`openday.core.images`), and kept as three files."""

from __future__ import annotations

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


def _save(photo, processed: ProcessedPhoto) -> None:
    stem = uuid.uuid4().hex
    photo.image.save(f"{stem}.jpg", ContentFile(processed.full), save=False)
    photo.web_image.save(f"{stem}-{WEB_WIDTH}.jpg", ContentFile(processed.web), save=False)
    photo.thumbnail.save(
        f"{stem}-{THUMBNAIL_WIDTH}.jpg", ContentFile(processed.thumbnail), save=False
    )
    photo.width, photo.height = processed.width, processed.height
    photo.save()


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
    photos = []
    with transaction.atomic():
        for offset, result in enumerate(processed, start=1):
            photo = Photo(
                event=event,
                sub_event=sub_event,
                caption=caption,
                credit=credit,
                sort_order=min(last + offset, 32767),
            )
            _save(photo, result)
            photos.append(photo)
    return photos
