"""The one rate limiter for booking and other forms people can repeat: counters in Django's
cache, so that with Redis as the cache the limits hold across every app server.

Use it from any view, before doing the work:

    from openday.core import ratelimit

    wait = ratelimit.retry_after(request, phone=form_phone, scope="booking")
    if wait is not None:
        ...  # refuse: HTTP 429 with a `Retry-After: <wait>` header, or a form error

`retry_after(request, *, phone=None, scope="booking")` counts one attempt for the client
address and, when given and valid, for the phone number (in any spelling people type),
and returns the seconds to wait when either is over its limit, or None. The API and the
HTML registration form share the scope "booking", so one person cannot double their
allowance by switching between them; other forms (suggestions) pass their own scope.
`too_many_requests(wait)` builds the plain 429 response for views that need one.

Limits are "count/seconds" fixed windows from the settings OPENDAY_RATELIMIT_ADDRESS
(generous: thousands of people may share one address behind a carrier-grade NAT) and
OPENDAY_RATELIMIT_PHONE. OPENDAY_RATELIMIT=off turns every limit off (benchmarks only).
Addresses come from `openday.core.network.client_ip` (the connecting address, or behind
OPENDAY_TRUSTED_PROXY_COUNT trusted proxies the one they saw); IPv6 clients are counted
per /64, the block one household or phone gets.

If the cache is down, requests are let through (and the failure logged): a broken Redis
must not close registration for everyone.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from openday.core.network import client_ip
from openday.core.phone import normalise_phone, phone_digest

logger = logging.getLogger(__name__)


def parse_rate(rate: str) -> tuple[int, int]:
    """ "300/60" → (300, 60): at most 300 attempts in each 60-second window."""
    count, _sep, seconds = rate.partition("/")
    return int(count), int(seconds or 60)


def client_address(request: HttpRequest) -> str:
    """The address to count: see the module docstring for proxies and IPv6."""
    address = client_ip(request)
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64] or "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _hit(key: str, rate: str, now: float) -> int | None:
    """Count one attempt under `key`; the seconds left in the window when over the limit."""
    limit, window = parse_rate(rate)
    bucket = int(now // window)
    cache_key = f"openday:rl:{key}:{bucket}"
    # add() is atomic and only sets a missing key; incr() is atomic in Redis and in
    # local memory. The key outlives its window a little so a late incr() never fails.
    if cache.add(cache_key, 1, timeout=window + 5):
        count = 1
    else:
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add() and incr()
            cache.add(cache_key, 1, timeout=window + 5)
            count = 1
    if count <= limit:
        return None
    return max(1, math.ceil((bucket + 1) * window - now))


def limit_hit(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one hit for `key` (which must hold no personal data: hash a phone number
    first); True while the window holds at most `limit` hits. For limits that are not
    about a request's address, such as SMS codes sent to one number."""
    if not settings.OPENDAY_RATELIMIT:
        return True
    try:
        return _hit(key, f"{limit}/{window_seconds}", time.time()) is None
    except Exception:
        logger.exception("rate limiter cache unavailable; letting the request through")
        return True


def retry_after(
    request: HttpRequest,
    *,
    phone: str | None = None,
    scope: str = "booking",
    address_rate: str | None = None,
) -> int | None:
    """Count an attempt; seconds to wait if the client or the phone number is over its
    limit, else None. `address_rate` ("count/seconds") replaces OPENDAY_RATELIMIT_ADDRESS
    for scopes that need a tighter limit per address. See the module docstring."""
    if not settings.OPENDAY_RATELIMIT:
        return None
    now = time.time()
    keys = [
        (
            f"{scope}:addr:{client_address(request)}",
            address_rate or settings.OPENDAY_RATELIMIT_ADDRESS,
        )
    ]
    if phone:
        try:
            normal = normalise_phone(phone)
        except ValidationError:
            normal = None
        if normal:
            keys.append((f"{scope}:phone:{phone_digest(normal)}", settings.OPENDAY_RATELIMIT_PHONE))
    waits = []
    try:
        for key, rate in keys:
            wait = _hit(key, rate, now)
            if wait is not None:
                waits.append(wait)
    except Exception:
        logger.exception("rate limiter cache unavailable; letting the request through")
        return None
    return max(waits) if waits else None


def too_many_requests(wait: int) -> HttpResponse:
    """A plain 429 response with Retry-After, for views that have no page to show."""
    response = HttpResponse(
        _("Too many attempts. Please wait %(seconds)d seconds and try again.") % {"seconds": wait},
        status=429,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = str(wait)
    return response
