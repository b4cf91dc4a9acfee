"""Rate limits for booking and other forms people can repeat, through django-ratelimit:
counters in Django's cache, so that with Redis as the cache the limits hold across every
app server.

Use it from any view, before doing the work:

    from openday.core import ratelimit

    wait = ratelimit.retry_after(request, phone=form_phone, scope="booking")
    if wait is not None:
        ...  # refuse: HTTP 429 with a `Retry-After: <wait>` header, or a form error

`retry_after(request, *, phone=None, scope="booking")` counts one attempt for the client
address and, when given and valid, for the phone number (in any spelling people type)
from that address, and returns the seconds to wait when either is over its limit, or
None. The number is counted together with the address: counted alone, anyone could use
up a stranger's allowance with junk attempts and lock them out of booking. The API and the
HTML registration form share the scope "booking", so one person cannot double their
allowance by switching between them; other forms (suggestions) pass their own scope.
`too_many_requests(wait)` builds the plain 429 response for views that need one.

Limits are "count/seconds" windows from the settings OPENDAY_RATELIMIT_ADDRESS
(generous: thousands of people may share one address behind a carrier-grade NAT) and
OPENDAY_RATELIMIT_PHONE. OPENDAY_RATELIMIT=off turns every limit off (benchmarks only).
Addresses are counted by `client_address`, the one key for them.

If the cache is down, requests are let through (and the failure logged): a broken Redis
must not close registration for everyone.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage, is_ratelimited

from openday.core.network import client_network
from openday.core.phone import normalise_phone, phone_digest

logger = logging.getLogger(__name__)


def parse_rate(rate: str) -> tuple[int, int]:
    """ "300/60" → (300, 60): at most 300 attempts in each 60-second window."""
    count, _sep, seconds = rate.partition("/")
    return int(count), int(seconds or 60)


def client_address(request: HttpRequest) -> str:
    """The address to count: the client behind trusted proxies, IPv6 clients per /64
    (`network.client_network`)."""
    return client_network(request)


def address_key(group: str, request: HttpRequest) -> str:
    return client_address(request)


def _fixed_key(value: str):
    return lambda group, request: value


def limit_hit(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one hit for `key` (which must hold no personal data: hash a phone number
    first); True while the window holds at most `limit` hits. For limits that are not
    about a request's address, such as SMS codes sent to one number."""
    if not settings.OPENDAY_RATELIMIT:
        return True
    try:
        return not is_ratelimited(
            None,
            group="openday",
            key=_fixed_key(key),
            rate=(limit, window_seconds),
            increment=True,
        )
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
    limits = [(f"{scope}:addr", address_key, address_rate or settings.OPENDAY_RATELIMIT_ADDRESS)]
    if phone:
        try:
            normal = normalise_phone(phone)
        except ValidationError:
            normal = None
        if normal:
            limits.append(
                (
                    f"{scope}:phone",
                    _fixed_key(_phone_key(normal, client_address(request))),
                    settings.OPENDAY_RATELIMIT_PHONE,
                )
            )
    waits = []
    try:
        for group, key, rate in limits:
            usage = get_usage(request, group=group, key=key, rate=parse_rate(rate), increment=True)
            if usage is not None and usage["should_limit"]:
                waits.append(max(1, usage["time_left"]))
    except Exception:
        logger.exception("rate limiter cache unavailable; letting the request through")
        return None
    return max(waits) if waits else None


def _phone_key(phone: str, address: str) -> str:
    return f"{phone_digest(phone)}:{address}"


def phone_window_seconds_left(phone: str, *, address: str, scope: str = "booking") -> int:
    """Seconds until the current window of `phone` from `address` (as `client_address`
    gives it) ends; counts nothing. Each key's window ends at its own moment
    (django-ratelimit spreads them), so a benchmark that must count within one window
    asks here."""
    usage = get_usage(
        None,
        group=f"{scope}:phone",
        key=_fixed_key(_phone_key(normalise_phone(phone), address)),
        rate=parse_rate(settings.OPENDAY_RATELIMIT_PHONE),
    )
    return usage["time_left"] if usage is not None else 0


def too_many_requests(wait: int) -> HttpResponse:
    """A plain 429 response with Retry-After, for views that have no page to show."""
    response = HttpResponse(
        _("Too many attempts. Please wait %(seconds)d seconds and try again.") % {"seconds": wait},
        status=429,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = str(wait)
    return response
