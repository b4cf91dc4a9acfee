"""Venue photos and cover images uploaded onto storage that fails (a full disk, a
MEDIA_ROOT that cannot be written): staff are told, nothing is saved, no file is left."""

import pytest
from django.urls import reverse

from openday.events.models import Event, Venue
from tests import factories
from tests.feedback import images
from tests.feedback.test_photo_storage_faults import disk_full_after, files_under

pytestmark = pytest.mark.django_db


def post_venue(admin_client, district):
    return admin_client.post(
        reverse("admin:events_venue_add"),
        {
            "name": "市南区青少年宫",
            "slug": "qingshaoniangong",
            "address": "香港中路 1 号",
            "district": district.pk,
            "photo": images.upload("front.jpg", images.jpeg_bytes(size=(1600, 1200))),
        },
        follow=True,
    )


def test_a_venue_photo_on_a_full_disk_saves_nothing(admin_client, settings):
    district = factories.DistrictFactory()
    with disk_full_after(4096):
        response = post_venue(admin_client, district)
    assert response.status_code == 200
    shown = [str(message) for message in response.context["messages"]]
    assert any("storage" in message or "存储" in message for message in shown), shown
    assert not Venue.objects.filter(slug="qingshaoniangong").exists()
    assert files_under(settings.MEDIA_ROOT) == []

    # With room again, the same upload is stored.
    post_venue(admin_client, district)
    venue = Venue.objects.get(slug="qingshaoniangong")
    assert venue.photo and venue.photo.storage.exists(venue.photo.name)


def test_a_cover_image_on_a_read_only_media_root_saves_nothing(admin_client, settings):
    inlines = admin_client.get(reverse("admin:events_event_add")).context["inline_admin_formsets"]
    management = {
        f"{inline.formset.prefix}-{field}": "0"
        for inline in inlines
        for field in ("TOTAL_FORMS", "INITIAL_FORMS")
    }
    settings.MEDIA_ROOT = "/proc/openday-media"  # nothing can be created there
    response = admin_client.post(
        reverse("admin:events_event_add"),
        {
            **management,
            "title": "开放日",
            "slug": "open",
            "organiser": "城管局",
            "starts_on": "2030-05-01",
            "ends_on": "2030-05-02",
            "cover_image": images.upload("cover.jpg", images.jpeg_bytes(size=(800, 600))),
        },
        follow=True,
    )
    assert response.status_code == 200
    assert [str(message) for message in response.context["messages"]]
    assert not Event.objects.filter(slug="open").exists()
