import io

import pytest
from PIL import Image

from openday.feedback.models import Photo
from openday.feedback.photos import PhotoRejected, photo_process, photos_create
from tests import factories
from tests.feedback import images

pytestmark = pytest.mark.django_db


def opened(field) -> Image.Image:
    field.open("rb")
    try:
        image = Image.open(io.BytesIO(field.read()))
        image.load()
        return image
    finally:
        field.close()


def rejection(content: bytes, name="photo.jpg") -> PhotoRejected:
    with pytest.raises(PhotoRejected) as caught:
        photo_process(images.upload(name, content))
    return caught.value


def test_photo_create_writes_clean_copy_and_two_sizes():
    event = factories.EventFactory()
    content = images.jpeg_bytes(size=(3000, 2000))
    (photo,) = photos_create(
        event=event, uploads=[images.upload("square.jpg", content)], caption="广场", credit="宣传处"
    )
    photo.refresh_from_db()
    assert (photo.width, photo.height) == (2400, 1600)
    assert opened(photo.image).size == (2400, 1600)
    assert opened(photo.web_image).size == (1200, 800)
    assert opened(photo.thumbnail).size == (400, 267)
    assert opened(photo.thumbnail).format == "JPEG"
    assert (photo.caption, photo.credit) == ("广场", "宣传处")


def test_photo_create_removes_exif_and_keeps_orientation():
    event = factories.EventFactory()
    (photo,) = photos_create(
        event=event, uploads=[images.upload("phone.jpg", images.phone_jpeg_bytes())]
    )
    for field in (photo.image, photo.web_image, photo.thumbnail):
        image = opened(field)
        assert dict(image.getexif()) == {}
        assert "exif" not in image.info
    upright = opened(photo.image)
    # Stored 800×600 with "rotate 90°": shown and now kept as 600×800, red corner top-right.
    assert upright.size == (600, 800)
    red, green, blue = upright.getpixel((590, 10))
    assert red > 200 and green < 60 and blue < 60


def test_photo_process_converts_cmyk_to_rgb():
    processed = photo_process(
        images.upload("print.jpg", images.jpeg_bytes(mode="CMYK", colour=(0, 0, 0, 0)))
    )
    image = Image.open(io.BytesIO(processed.web))
    assert image.mode == "RGB"
    assert image.getpixel((10, 10))[0] > 240


def test_photo_process_flattens_transparent_png_on_white():
    processed = photo_process(images.upload("logo.png", images.png_bytes(), "image/png"))
    image = Image.open(io.BytesIO(processed.full))
    assert image.mode == "RGB" and image.format == "JPEG"


def test_photo_process_refuses_zip_renamed_jpg():
    error = rejection(images.zip_bytes(), "photo.jpg")
    assert error.code == "not_an_image"
    assert "not an image" in error.message


def test_photo_process_refuses_one_pixel_image():
    error = rejection(images.jpeg_bytes(size=(1, 1)), "pixel.jpg")
    assert error.code == "too_small"
    assert "1×1" in error.message


def test_photo_process_refuses_decompression_bomb():
    error = rejection(images.png_bomb_bytes(), "huge.png")
    assert error.code == "too_many_pixels"
    assert "too large in pixels" in error.message


def test_photo_process_refuses_image_above_configured_pixels(settings):
    settings.OPENDAY_PHOTO_MAX_PIXELS = 1_000_000
    error = rejection(images.jpeg_bytes(size=(1200, 1000)))
    assert error.code == "too_many_pixels"


def test_photo_process_refuses_truncated_file():
    content = images.jpeg_bytes(size=(1600, 1200))
    error = rejection(content[: len(content) // 2], "cut.jpg")
    assert error.code == "damaged"


def test_photo_process_refuses_truncated_file_after_a_pdf_was_printed(monkeypatch):
    from PIL import ImageFile

    # What importing WeasyPrint does to the whole process.
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    content = images.jpeg_bytes(size=(1600, 1200))
    error = rejection(content[: len(content) // 2], "cut.jpg")
    assert error.code == "damaged"
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True


def test_photo_process_refuses_oversize_file(settings):
    settings.OPENDAY_PHOTO_MAX_BYTES = 1000
    error = rejection(images.jpeg_bytes())
    assert error.code == "too_large"
    assert "1000" in error.message


def test_photo_process_refuses_gif():
    error = rejection(images.gif_bytes(), "anim.gif")
    assert error.code == "type"


def test_photos_create_saves_nothing_when_one_file_is_bad():
    event = factories.EventFactory()
    good = images.upload("good.jpg", images.jpeg_bytes())
    bad = images.upload("bad.jpg", images.zip_bytes())
    with pytest.raises(PhotoRejected) as caught:
        photos_create(event=event, uploads=[good, bad])
    assert Photo.objects.count() == 0
    assert [m for m in caught.value.messages if m.startswith("bad.jpg: ")]
    assert not [m for m in caught.value.messages if m.startswith("good.jpg")]


def test_photos_create_refuses_activity_of_other_event():
    event = factories.EventFactory()
    other = factories.SubEventFactory()
    with pytest.raises(PhotoRejected):
        photos_create(
            event=event, sub_event=other, uploads=[images.upload("a.jpg", images.jpeg_bytes())]
        )
    assert Photo.objects.count() == 0


def test_photo_process_accepts_webp():
    buffer = io.BytesIO()
    Image.new("RGB", (500, 300), (10, 200, 10)).save(buffer, "WEBP")
    processed = photo_process(images.upload("a.webp", buffer.getvalue(), "image/webp"))
    assert (processed.width, processed.height) == (500, 300)
    assert Image.open(io.BytesIO(processed.thumbnail)).size == (400, 240)


def test_deleting_a_photo_deletes_its_files(django_capture_on_commit_callbacks):
    event = factories.EventFactory()
    (photo,) = photos_create(
        event=event, uploads=[images.upload("square.jpg", images.jpeg_bytes())], caption=""
    )
    fields = [photo.image, photo.web_image, photo.thumbnail]
    assert all(field.storage.exists(field.name) for field in fields)
    with django_capture_on_commit_callbacks(execute=True):
        photo.delete()
    assert not any(field.storage.exists(field.name) for field in fields)


def test_a_photo_deleted_in_a_rolled_back_transaction_keeps_its_files():
    event = factories.EventFactory()
    (photo,) = photos_create(
        event=event, uploads=[images.upload("square.jpg", images.jpeg_bytes())], caption=""
    )
    # The test's own transaction is rolled back at the end: nothing is committed here.
    photo.delete()
    assert photo.image.storage.exists(photo.image.name)


def test_photo_create_keeps_no_jpeg_comment_or_xmp_in_any_copy():
    secret = b"GPS 36.07N 120.37E home of photographer"
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (10, 80, 160)).save(
        buffer, "JPEG", comment=secret, xmp=b"<x:xmpmeta>" + secret + b"</x:xmpmeta>"
    )
    (photo,) = photos_create(
        event=factories.EventFactory(), uploads=[images.upload("c.jpg", buffer.getvalue())]
    )
    for field in (photo.image, photo.web_image, photo.thumbnail):
        field.open("rb")
        content = field.read()
        field.close()
        assert secret not in content
        assert not ({"comment", "xmp"} & set(Image.open(io.BytesIO(content)).info))
