import ipaddress

from django.test import RequestFactory
from hypothesis import given
from hypothesis import strategies as st

from openday.core.network import client_ip, client_network


def request_from(remote_addr, forwarded=None):
    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_client_ip_ignores_forwarded_for_without_trusted_proxies(settings):
    settings.OPENDAY_TRUSTED_PROXY_COUNT = 0
    assert client_ip(request_from("203.0.113.9", "1.2.3.4")) == "203.0.113.9"


def test_client_ip_behind_one_proxy_is_what_the_proxy_saw(settings):
    settings.OPENDAY_TRUSTED_PROXY_COUNT = 1
    assert client_ip(request_from("10.0.0.2", "198.51.100.4")) == "198.51.100.4"


def test_client_ip_behind_one_proxy_ignores_what_the_client_wrote(settings):
    settings.OPENDAY_TRUSTED_PROXY_COUNT = 1
    spoofed = request_from("10.0.0.2", "1.2.3.4, 198.51.100.4")
    assert client_ip(spoofed) == "198.51.100.4"


def test_client_ip_behind_two_proxies(settings):
    settings.OPENDAY_TRUSTED_PROXY_COUNT = 2
    assert client_ip(request_from("10.0.0.3", "1.2.3.4, 198.51.100.4, 10.0.0.2")) == "198.51.100.4"


def test_client_ip_falls_back_to_the_peer_on_a_short_or_broken_header(settings):
    settings.OPENDAY_TRUSTED_PROXY_COUNT = 2
    assert client_ip(request_from("10.0.0.3", "198.51.100.4")) == "10.0.0.3"
    settings.OPENDAY_TRUSTED_PROXY_COUNT = 1
    assert client_ip(request_from("10.0.0.3", "not-an-address")) == "10.0.0.3"


@given(forwarded=st.text(), proxies=st.integers(min_value=0, max_value=4))
def test_client_ip_is_always_an_address(forwarded, proxies):
    from django.conf import settings

    old = settings.OPENDAY_TRUSTED_PROXY_COUNT
    settings.OPENDAY_TRUSTED_PROXY_COUNT = proxies
    try:
        request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1")
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
        ipaddress.ip_address(client_ip(request))
    finally:
        settings.OPENDAY_TRUSTED_PROXY_COUNT = old


def test_client_network_groups_ipv6_by_64_as_a_valid_address():
    first = client_network(request_from("2001:db8:1:2:aaaa::1"))
    second = client_network(request_from("2001:db8:1:2:bbbb::2"))
    assert first == second == "2001:db8:1:2::"
    assert ipaddress.ip_address(first)  # django-axes stores it as an address
    assert client_network(request_from("2001:db8:1:3::1")) != first
    assert client_network(request_from("203.0.113.7")) == "203.0.113.7"
    assert client_network(request_from("::ffff:203.0.113.7")) == "203.0.113.7"
