"""Photos uploaded onto storage that fails (a full disk, a MEDIA_ROOT that cannot be
written): a clear form error, no row, no file left behind, not even half of one."""

import contextlib
import os
import resource
import signal

import pytest
from django.urls import reverse

from openday.feedback.models import Photo
from tests.feedback import images
from tests.feedback.test_admin import UPLOAD, upload_data

pytestmark = pytest.mark.django_db


@contextlib.contextmanager
def disk_full_after(bytes_allowed: int):
    """Writes past `bytes_allowed` in any file fail, as on a full disk (EFBIG)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (bytes_allowed, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


def files_under(root) -> list[str]:
    return [os.path.join(path, name) for path, _dirs, names in os.walk(root) for name in names]


def post_photos(admin_client, sub_event, count=2):
    files = [images.upload(f"{n}.jpg", images.jpeg_bytes(size=(1600, 1200))) for n in range(count)]
    return admin_client.post(reverse(UPLOAD), upload_data(sub_event.event, *files))


def test_a_full_disk_leaves_nothing_behind(admin_client, sub_event, settings):
    # Small thumbnails fit, the large image does not: it fails half-written.
    with disk_full_after(4096):
        response = post_photos(admin_client, sub_event)
    assert response.status_code == 200
    assert "could not be stored" in response.content.decode()
    assert Photo.objects.count() == 0
    assert files_under(settings.MEDIA_ROOT) == []


def test_a_media_root_that_cannot_be_written_is_a_form_error(admin_client, sub_event, settings):
    settings.MEDIA_ROOT = "/proc/openday-media"  # no process can create anything there
    response = post_photos(admin_client, sub_event, count=1)
    assert response.status_code == 200
    assert "could not be stored" in response.content.decode()
    assert Photo.objects.count() == 0


def test_photos_are_stored_once_the_disk_has_room(admin_client, sub_event, settings):
    with disk_full_after(4096):
        post_photos(admin_client, sub_event)
    response = post_photos(admin_client, sub_event)
    assert response.status_code == 302
    assert Photo.objects.count() == 2
    assert len(files_under(settings.MEDIA_ROOT)) == 6
