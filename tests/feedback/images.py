"""Real image files, good and bad, made in memory for upload tests."""

import io
import struct
import zipfile
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def jpeg_bytes(size=(800, 600), colour=(200, 30, 30), mode="RGB", exif=None) -> bytes:
    buffer = io.BytesIO()
    image = Image.new(mode, size, colour)
    image.save(buffer, "JPEG", **({"exif": exif} if exif is not None else {}))
    return buffer.getvalue()


def phone_jpeg_bytes() -> bytes:
    """A 'landscape as stored, portrait as shot' phone photo with a GPS position: 800×600
    pixels and orientation 6 (rotate 90° clockwise to view)."""
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (36.0, 3.0, 42.0), 3: "E", 4: (120.0, 23.0, 4.0)})
    buffer = io.BytesIO()
    image = Image.new("RGB", (800, 600), (20, 120, 200))
    # A red block in the top-left corner as stored: after turning it upright it is in
    # the top-right corner.
    image.paste((255, 0, 0), (0, 0, 100, 100))
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def png_bytes(size=(640, 480), mode="RGBA") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, (0, 128, 0, 128) if mode == "RGBA" else 128).save(buffer, "PNG")
    return buffer.getvalue()


def gif_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("P", (400, 400)).save(buffer, "GIF")
    return buffer.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_bomb_bytes(width=60_000, height=60_000) -> bytes:
    """A valid PNG header announcing 60 000 × 60 000 pixels (3.6 gigapixels), followed by
    a little compressed data: a few hundred bytes that would expand to gigabytes."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    rows = zlib.compress(b"\x00" * (width + 1) * 4)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", rows)
        + _png_chunk(b"IEND", b"")
    )


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("report.txt", "not a photo")
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type="image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type)
