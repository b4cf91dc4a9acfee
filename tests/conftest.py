import pytest
from django.conf import settings
from django.core.cache import cache

from tests import factories


@pytest.fixture(autouse=True)
def _media_and_mail(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Tests speak plain HTTP to the test client.
    settings.SECURE_SSL_REDIRECT = False
    # No collectstatic in tests: serve static names as they are.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Each test starts with an empty cache (rate-limit counters, cached pages), and public
    pages are rendered afresh unless a test turns the page cache on."""
    settings.OPENDAY_PAGE_CACHE_SECONDS = 0
    cache.clear()


@pytest.fixture
def page_cache(settings):
    """The public page cache on, as in production."""
    settings.OPENDAY_PAGE_CACHE_SECONDS = 30


@pytest.fixture
def sub_event(db):
    return factories.SubEventFactory()


@pytest.fixture
def superuser(db, django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.com", "pw-Root-123")


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def postgres_configured() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


# Concurrency tests need a database that serves several connections at once with row
# locks; SQLite's test database is in memory and serialises everything.
requires_postgres = pytest.mark.skipif(
    not postgres_configured(),
    reason="needs PostgreSQL: run with DATABASE_URL=postgres://... (CI does)",
)
