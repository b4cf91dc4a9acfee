import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import translation
from PIL import Image

from openday.events.models import Event, Venue
from openday.feedback.models import Photo
from tests import factories
from tests.events.test_uploads import SECRET, assert_pixels_only, stored_bytes, tainted_jpeg

pytestmark = pytest.mark.django_db


def stored_raw(name: str, content: bytes) -> str:
    """A file stored as it came, the way images were kept before they were cleaned."""
    return default_storage.save(name, ContentFile(content))


def run(*args) -> str:
    out = io.StringIO()
    with translation.override("en"):
        call_command("clean_public_images", *args, stdout=out)
    return out.getvalue()


def test_old_uncleaned_images_are_replaced_by_clean_copies():
    venue = factories.VenueFactory()
    event = factories.EventFactory()
    Venue.objects.filter(pk=venue.pk).update(photo=stored_raw("venues/raw.jpg", tainted_jpeg()))
    Event.objects.filter(pk=event.pk).update(
        cover_image=stored_raw("events/raw.jpg", tainted_jpeg())
    )
    raw = stored_raw("photos/raw.jpg", tainted_jpeg())
    photo = Photo.objects.create(
        event=event, image=raw, web_image=raw, thumbnail=raw, width=800, height=600
    )

    assert "3 cleaned" in run("--dry-run")
    assert SECRET in stored_bytes(Venue.objects.get().photo)

    assert "0 already clean, 3 cleaned, 0 removed" in run()
    venue.refresh_from_db()
    event.refresh_from_db()
    photo.refresh_from_db()
    for field in (venue.photo, event.cover_image, photo.image, photo.web_image, photo.thumbnail):
        assert_pixels_only(stored_bytes(field))
    assert not default_storage.exists("venues/raw.jpg")
    assert not default_storage.exists("events/raw.jpg")
    # Running it again changes nothing.
    assert "3 already clean, 0 cleaned, 0 removed" in run()


def test_an_image_that_cannot_be_cleaned_is_taken_off_the_page():
    venue = factories.VenueFactory()
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20)).save(buffer, "PNG")
    Venue.objects.filter(pk=venue.pk).update(photo=stored_raw("venues/tiny.png", buffer.getvalue()))
    assert "1 removed" in run()
    venue.refresh_from_db()
    assert not venue.photo
    assert not default_storage.exists("venues/tiny.png")
