"""Several app servers behind a load balancer: nothing one process needs may live only in
another's memory."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from openday.settings import media_storage

pytestmark = pytest.mark.django_db


def test_staff_session_survives_losing_the_cache(admin_client):
    # Another app server has none of this process's cache: the session must not depend on it.
    assert admin_client.get(reverse("admin:index")).status_code == 200
    cache.clear()
    assert admin_client.get(reverse("admin:index")).status_code == 200


def test_media_storage_local_by_default():
    assert media_storage("local") == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_media_storage_s3_reads_bucket_and_endpoint(monkeypatch):
    monkeypatch.setenv("S3_BUCKET", "openday-media")
    monkeypatch.setenv("S3_ENDPOINT_URL", "https://oss.example.com")
    storage = media_storage("s3")
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage["OPTIONS"]["bucket_name"] == "openday-media"
    assert storage["OPTIONS"]["endpoint_url"] == "https://oss.example.com"
    assert storage["OPTIONS"]["file_overwrite"] is False
