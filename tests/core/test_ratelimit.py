import pytest
from django.core.cache import cache
from django.test import RequestFactory

from openday.core import ratelimit


@pytest.fixture(autouse=True)
def _fresh_limits(settings):
    cache.clear()
    settings.OPENDAY_RATELIMIT = True
    settings.OPENDAY_RATELIMIT_ADDRESS = "3/60"
    settings.OPENDAY_RATELIMIT_PHONE = "2/600"
    settings.OPENDAY_TRUSTED_PROXY_COUNT = 0
    yield
    cache.clear()


def request_from(address="203.0.113.7", **meta):
    return RequestFactory().post("/", REMOTE_ADDR=address, **meta)


def test_retry_after_allows_up_to_the_address_limit():
    waits = [ratelimit.retry_after(request_from()) for _ in range(4)]
    assert waits[:3] == [None, None, None]
    assert 1 <= waits[3] <= 60


def test_retry_after_counts_each_address_apart():
    for _ in range(3):
        ratelimit.retry_after(request_from("203.0.113.7"))
    assert ratelimit.retry_after(request_from("203.0.113.8")) is None


def test_retry_after_counts_a_phone_in_every_spelling():
    assert ratelimit.retry_after(request_from("198.51.100.1"), phone="13800138000") is None
    assert ratelimit.retry_after(request_from("198.51.100.1"), phone="+86 138 0013 8000") is None
    wait = ratelimit.retry_after(request_from("198.51.100.1"), phone="138-0013-8000")
    assert 1 <= wait <= 600


def test_junk_attempts_from_one_address_do_not_lock_the_number_out_elsewhere():
    for _ in range(3):
        ratelimit.retry_after(request_from("198.51.100.1"), phone="13800138000")
    assert ratelimit.retry_after(request_from("198.51.100.1"), phone="13800138000") is not None
    # The owner of the number, from their own address, still gets through.
    assert ratelimit.retry_after(request_from("203.0.113.20"), phone="13800138000") is None


def test_retry_after_ignores_an_invalid_phone_but_still_counts_the_address():
    for _ in range(3):
        assert ratelimit.retry_after(request_from(), phone="not a phone") is None
    assert ratelimit.retry_after(request_from(), phone="not a phone") is not None


def test_retry_after_scopes_are_separate():
    for _ in range(3):
        ratelimit.retry_after(request_from(), scope="booking")
    assert ratelimit.retry_after(request_from(), scope="feedback") is None


def test_retry_after_off_switch(settings):
    settings.OPENDAY_RATELIMIT = False
    assert all(ratelimit.retry_after(request_from()) is None for _ in range(10))


def test_client_address_behind_trusted_proxy(settings):
    settings.OPENDAY_TRUSTED_PROXY_COUNT = 1
    request = request_from("10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9")
    # The client can forge the left part; the proxy appended the right-most entry.
    assert ratelimit.client_address(request) == "203.0.113.9"


def test_client_address_ignores_forwarded_for_without_proxy():
    request = request_from("203.0.113.7", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert ratelimit.client_address(request) == "203.0.113.7"


def test_client_address_groups_ipv6_by_64():
    first = ratelimit.client_address(request_from("2001:db8:1:2:aaaa::1"))
    second = ratelimit.client_address(request_from("2001:db8:1:2:bbbb::2"))
    assert first == second == "2001:db8:1:2::"
    assert ratelimit.client_address(request_from("::ffff:203.0.113.7")) == "203.0.113.7"


def test_too_many_requests_response_has_retry_after():
    response = ratelimit.too_many_requests(42)
    assert response.status_code == 429
    assert response["Retry-After"] == "42"
    assert "42" in response.content.decode()


def test_phone_window_seconds_left_counts_nothing():
    for _ in range(5):
        left = ratelimit.phone_window_seconds_left("13800138000", address="198.51.100.1")
        assert 0 <= left <= 600
    assert ratelimit.retry_after(request_from("198.51.100.1"), phone="13800138000") is None
    assert ratelimit.retry_after(request_from("198.51.100.1"), phone="13800138000") is None
