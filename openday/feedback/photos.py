"""Photo processing: every uploaded photo passes through here once, at upload.

An upload is trusted only after Pillow has decoded it completely: the type comes from the
file's content, not its name; oversize files and decompression bombs are refused before
their pixels are decoded. What is kept is a re-encoded copy, turned upright by its EXIF
orientation and with the EXIF removed (phones write the location there), plus a 400 px and
a 1200 px version for galleries. Pages only read these files; they never resize.
"""

from __future__ import annotations

import io
import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

from .models import Photo

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}
# Widths of the versions galleries offer in `srcset`.
THUMBNAIL_WIDTH = 400
WEB_WIDTH = 1200
# The kept copy is limited too: nobody needs a 50-megapixel original on a public site.
FULL_SIDE = 2400
JPEG_QUALITY = 84


logger = logging.getLogger(__name__)


class PhotoRejected(ValidationError):
    """The upload is not a photo we can publish; the message says why, for people."""


@dataclass(frozen=True)
class ProcessedPhoto:
    full: bytes
    web: bytes
    thumbnail: bytes
    width: int
    height: int


def _resized(image: Image.Image, width: int) -> Image.Image:
    if image.width <= width:
        return image
    height = max(1, round(image.height * width / image.width))
    return image.resize((width, height), Image.Resampling.LANCZOS)


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    # No `exif=` and no `icc_profile=`: the output carries pixels only.
    image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return buffer.getvalue()


def _as_rgb(image: Image.Image) -> Image.Image:
    """JPEG holds RGB: CMYK and palette images are converted, transparency goes on white."""
    if image.mode == "RGB":
        return image
    if image.mode in {"RGBA", "LA", "PA"} or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def photo_process(upload) -> ProcessedPhoto:
    """Check an uploaded file and return the clean copy and its versions, or raise
    PhotoRejected. Writes nothing."""
    max_bytes = settings.OPENDAY_PHOTO_MAX_BYTES
    if upload.size is not None and upload.size > max_bytes:
        raise PhotoRejected(
            _("The file is %(size)s; photos may be at most %(limit)s.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(max_bytes)},
            code="too_large",
        )
    bomb = PhotoRejected(
        _(
            "The image is too large in pixels (at most %(limit)s million pixels). "
            "Please export it at a smaller size."
        )
        % {"limit": settings.OPENDAY_PHOTO_MAX_PIXELS // 1_000_000},
        code="too_many_pixels",
    )
    min_side = settings.OPENDAY_PHOTO_MIN_SIDE
    upload.seek(0)
    try:
        # Image.open reads the header only: type and size are checked before any pixel
        # is decoded. By default our pixel limit is below Pillow's own (89 million), and
        # Pillow's hard DecompressionBombError is caught below all the same.
        with Image.open(upload) as image:
            if image.format not in ALLOWED_FORMATS:
                raise PhotoRejected(
                    _("Only JPEG, PNG and WebP photos can be uploaded."), code="type"
                )
            width, height = image.size
            if width * height > settings.OPENDAY_PHOTO_MAX_PIXELS:
                raise bomb
            if min(width, height) < min_side:
                raise PhotoRejected(
                    _(
                        "The image is %(width)s×%(height)s pixels; a photo needs at "
                        "least %(min)s pixels on each side."
                    )
                    % {"width": width, "height": height, "min": min_side},
                    code="too_small",
                )
            image.load()
            upright = _as_rgb(ImageOps.exif_transpose(image))
    except PhotoRejected:
        raise
    except UnidentifiedImageError as error:
        raise PhotoRejected(
            _("This file is not an image. Only JPEG, PNG and WebP photos can be uploaded."),
            code="not_an_image",
        ) from error
    except Image.DecompressionBombError as error:
        raise bomb from error
    except Exception as error:
        # Truncated or corrupt data surfaces while decoding, as OSError mostly, but a
        # malformed header or EXIF block can raise almost anything: none of it may
        # become a server error.
        raise PhotoRejected(
            _("The image is damaged or incomplete and cannot be read."), code="damaged"
        ) from error

    full = upright
    if max(full.size) > FULL_SIDE:
        full = full.copy()
        full.thumbnail((FULL_SIDE, FULL_SIDE), Image.Resampling.LANCZOS)
    return ProcessedPhoto(
        full=_jpeg(full),
        web=_jpeg(_resized(full, WEB_WIDTH)),
        thumbnail=_jpeg(_resized(full, THUMBNAIL_WIDTH)),
        width=full.width,
        height=full.height,
    )


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
