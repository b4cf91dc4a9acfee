"""Who is on the other end of a request: the client address behind trusted proxies."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid_ip(value: str) -> str | None:
    value = value.strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    """The address of the client, as the outermost trusted proxy saw it.

    Each of the OPENDAY_TRUSTED_PROXY_COUNT proxies in front of the app server appends the
    address it received the request from to X-Forwarded-For, so the client is the entry
    that many places from the right (counting REMOTE_ADDR as the last). Entries further
    left were written by the client itself and are never trusted. With no trusted proxy,
    or a malformed header, the answer is REMOTE_ADDR.

    Limits and lockouts count `client_network` instead, which calls this.
    """
    remote_addr = _valid_ip(request.META.get("REMOTE_ADDR", "")) or "0.0.0.0"  # noqa: S104
    proxies = settings.OPENDAY_TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote_addr
    forwarded = [
        item for item in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if item.strip()
    ]
    chain = [*forwarded, remote_addr]
    if len(chain) <= proxies:
        # Fewer hops than proxies: the request did not come through all of them.
        return remote_addr
    return _valid_ip(chain[-(proxies + 1)]) or remote_addr


def address_group(address: str) -> str:
    """The address as limits count it: an IPv4 address as it is; an IPv6 address as the
    first address of its /64, the block one household, phone or server gets (so rotating
    addresses inside it changes nothing); an IPv4-mapped IPv6 address as its IPv4 one.
    Always a valid IP address, so that django-axes can store it."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64] or "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)
    return str(ip)


def client_network(request: HttpRequest) -> str:
    """The client as every per-address limit counts it: `address_group(client_ip(...))`.
    The rate limits (`ratelimit.client_address`), the SMS code limits and the staff login
    lockout (AXES_CLIENT_IP_CALLABLE) all call this."""
    return address_group(client_ip(request))
