import pytest
from django.core.cache import cache

from openday.privacy import sms


@pytest.fixture(autouse=True)
def _fresh_counters():
    # Rate-limit counters live in the cache, which outlives a test's transaction.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def sms_outbox(settings):
    settings.OPENDAY_SMS_BACKEND = "openday.privacy.sms.backends.locmem.SmsBackend"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()
