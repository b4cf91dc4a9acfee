"""Venue photos and open-day cover images reach public pages (venue page, open day page,
og:image): they go through the same cleaning as gallery photos, whatever way they come in."""

import io

import pytest
from django.urls import reverse
from PIL import Image

from openday.events.models import Event, Venue
from tests import factories
from tests.feedback import images

pytestmark = pytest.mark.django_db

SECRET = b"GPS 36.07N 120.37E home of photographer"
SCRIPT = b"<script>alert(document.cookie)</script>"


def tainted_jpeg() -> bytes:
    """A phone photo with a GPS position in EXIF and XMP, and HTML in its JPEG comment."""
    exif = Image.Exif()
    exif.get_ifd(images.GPS_IFD).update(
        {1: "N", 2: (36.0, 4.0, 12.0), 3: "E", 4: (120.0, 22.0, 1.0)}
    )
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><exif:GPSLatitude>36,4.2N</exif:GPSLatitude>'
        + SECRET
        + b"</x:xmpmeta>"
    )
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (40, 90, 160)).save(
        buffer, "JPEG", exif=exif, xmp=xmp, comment=SECRET + SCRIPT
    )
    return buffer.getvalue()


def stored_bytes(field) -> bytes:
    field.open("rb")
    try:
        return field.read()
    finally:
        field.close()


def assert_pixels_only(content: bytes):
    assert SECRET not in content
    assert b"<script" not in content
    assert b"GPSLatitude" not in content
    image = Image.open(io.BytesIO(content))
    assert image.format == "JPEG"
    assert dict(image.getexif()) == {}
    assert not ({"comment", "xmp", "exif", "icc_profile"} & set(image.info))


def test_tainted_jpeg_really_carries_what_must_go():
    content = tainted_jpeg()
    assert SECRET in content and SCRIPT in content


def test_venue_photo_uploaded_in_the_admin_is_cleaned(client, admin_client):
    district = factories.DistrictFactory()
    response = admin_client.post(
        reverse("admin:events_venue_add"),
        {
            "name": "五四广场",
            "slug": "square",
            "district": district.pk,
            "address": "东海西路35号",
            "directions": "",
            "photo": images.upload("square.jpg", tainted_jpeg()),
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    venue = Venue.objects.get(slug="square")
    assert venue.photo.name.endswith(".jpg")
    assert_pixels_only(stored_bytes(venue.photo))


def test_event_cover_uploaded_in_the_admin_is_cleaned(admin_client):
    inlines = admin_client.get(reverse("admin:events_event_add")).context["inline_admin_formsets"]
    management = {
        f"{inline.formset.prefix}-{field}": "0"
        for inline in inlines
        for field in ("TOTAL_FORMS", "INITIAL_FORMS")
    }
    response = admin_client.post(
        reverse("admin:events_event_add"),
        {
            **management,
            "title": "开放日",
            "slug": "open",
            "theme": "",
            "organiser": "城管局",
            "starts_on": "2030-05-01",
            "ends_on": "2030-05-02",
            "description": "",
            "cover_image": images.upload("cover.jpg", tainted_jpeg()),
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    event = Event.objects.get(slug="open")
    assert_pixels_only(stored_bytes(event.cover_image))


def test_cover_image_set_in_code_is_cleaned_too():
    from django.core.files.base import ContentFile

    event = factories.EventFactory()
    event.cover_image.save("cover.jpg", ContentFile(tainted_jpeg()))
    event.refresh_from_db()
    assert_pixels_only(stored_bytes(event.cover_image))


def test_venue_photo_that_is_not_a_photo_is_refused_with_a_message(admin_client):
    response = admin_client.post(
        reverse("admin:events_venue_add"),
        {
            "name": "广场",
            "slug": "square",
            "address": "路1号",
            "photo": images.upload("square.jpg", images.gif_bytes(), "image/gif"),
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["photo"]
    assert not Venue.objects.exists()


def test_venue_page_serves_the_cleaned_photo(client, admin_client):
    admin_client.post(
        reverse("admin:events_venue_add"),
        {
            "name": "广场",
            "slug": "square",
            "address": "路1号",
            "photo": images.upload("square.jpg", tainted_jpeg()),
        },
    )
    venue = Venue.objects.get()
    factories.SubEventFactory(venue=venue)
    page = client.get(venue.get_absolute_url()).content.decode()
    assert venue.photo.url in page
