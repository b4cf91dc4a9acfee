import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.utils import translation

from openday.notifications import sms
from openday.registrations import services
from tests import factories


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the site's default language: a request in an earlier test
    leaves its language active in the thread."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


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
def _no_quiet_hours(settings):
    """Messages go out whatever the hour the suite runs; tests of the quiet hours set them."""
    settings.OPENDAY_QUIET_HOURS_START = settings.OPENDAY_QUIET_HOURS_END = 0


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
def sms_outbox(settings):
    """Text messages kept in memory (`openday.notifications.sms.outbox`) instead of sent."""
    settings.OPENDAY_SMS_BACKEND = "locmem"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


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


# --- the browser, for the tests that drive Chromium --------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Chromium upgrades plain-HTTP navigations to HTTPS; the live servers speak HTTP only.
    "--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable",
]


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run: Playwright's sync API allows one instance
    per thread, so every browser test shares this one and opens contexts of its own."""
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests
    # make between browser steps are plain synchronous calls all the same.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    # Database work done while Playwright ran may hold connections of its own; close
    # them, or the test database cannot be dropped at the end.
    connections.close_all()


@pytest.fixture
def english(client):
    """English pages: addresses reversed in the test come out under /en/, and the browser
    asks for English (the API and the staff pages follow it)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def book():
    """Book a place as every surface does, through the booking service:
    `book(sub_event, phone="13800138000", **kwargs)` returns its `Booking`."""

    def book_place(sub_event, phone="13800138000", *, name="王芳", **kwargs) -> services.Booking:
        return services.registration_create(
            sub_event_id=sub_event.pk, name=name, phone=phone, **kwargs
        )

    return book_place
