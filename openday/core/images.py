"""Cleaning of every image the public sees (gallery photos, venue photos, cover images).

An upload is trusted only after Pillow has decoded it completely: the type comes from the
file's content, not its name; oversize files and decompression bombs are refused before
their pixels are decoded. What is kept is a re-encoded copy made of pixels alone: turned
upright by its EXIF orientation, without EXIF, XMP, ICC profile or JPEG comment (phones
write the location there, and a comment can carry HTML), plus a 400 px and a 1200 px
version for galleries. Pages only read these files; they never resize.

`CleanImageField` is an `ImageField` whose uploads go through the same cleaning, in its
form field (a clear message for a refused file) and when the model is saved (any other
way in).
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.db.models.fields.files import ImageFieldFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}
ACCEPT = "image/jpeg,image/png,image/webp"
# Widths of the versions galleries offer in `srcset`.
THUMBNAIL_WIDTH = 400
WEB_WIDTH = 1200
# The kept copy is limited too: nobody needs a 50-megapixel original on a public site.
FULL_SIDE = 2400
JPEG_QUALITY = 84


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
    # A new image made of the pixels alone: Pillow writes what an image's `info` holds
    # (a JPEG comment, XMP) into the file it saves unless that is empty.
    pixels = Image.frombytes(image.mode, image.size, image.tobytes())
    buffer = io.BytesIO()
    pixels.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
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


def _load_whole(image: Image.Image) -> None:
    """Decode every pixel, refusing a truncated file. WeasyPrint (door lists, name cards)
    turns Pillow's LOAD_TRUNCATED_IMAGES on for the whole process when it is imported,
    which would let a cut-off upload through, padded with grey."""
    tolerant = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        image.load()
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = tolerant


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
            _load_whole(image)
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


def _cleaned_upload(processed: ProcessedPhoto) -> SimpleUploadedFile:
    upload = SimpleUploadedFile(f"{uuid.uuid4().hex}.jpg", processed.full, "image/jpeg")
    upload.openday_cleaned = True
    return upload


class CleanImageFormField(forms.FileField):
    """An image upload checked and cleaned by `photo_process`; a refused file gets the
    reason as its error."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs={"accept": ACCEPT}))
        super().__init__(**kwargs)

    def to_python(self, data):
        upload = super().to_python(data)
        if upload is None:
            return None
        return _cleaned_upload(photo_process(upload))


class ImageNotStored(OSError):
    """The media storage refused a cleaned image (full, read-only, unreachable); no part
    of the file was left behind."""


class CleanImageFieldFile(ImageFieldFile):
    def save(self, name, content, save=True):
        # Every way a file is stored (a form, `pre_save`, code calling `.save()`) passes
        # here: what is not cleaned yet is cleaned now, or refused.
        if not getattr(content, "openday_cleaned", False):
            content = _cleaned_upload(photo_process(content))
            name = content.name
        # Cleaned names are random, so the storage keeps this one: it is where half a
        # file would be if the disk fills up while writing.
        target = self.field.generate_filename(self.instance, name)
        try:
            super().save(name, content, save)
        except OSError as error:
            try:
                if self.storage.exists(target):
                    self.storage.delete(target)
            except OSError:
                pass
            self.name = None
            raise ImageNotStored(str(error)) from error


class CleanImageField(models.ImageField):
    """An `ImageField` that stores only the cleaned copy of what is uploaded (the full
    size, at most FULL_SIDE pixels a side, as JPEG)."""

    attr_class = CleanImageFieldFile

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": CleanImageFormField, **kwargs})


METADATA_KEYS = {"exif", "xmp", "comment", "icc_profile", "photoshop", "adobe"}


def is_clean(content: bytes) -> bool:
    """Whether stored bytes are already what the cleaning writes: a JPEG that carries
    nothing but pixels. Lets a re-cleaning run leave clean files alone (no second loss of
    quality, and running it twice changes nothing)."""
    try:
        with Image.open(io.BytesIO(content)) as image:
            return (
                image.format == "JPEG"
                and not (METADATA_KEYS & set(image.info))
                and not dict(image.getexif())
            )
    except Exception:
        return False
