"""Fixed-window counters in Django's cache (Redis when several app servers share it).

Keys never contain personal data: callers pass a hash of a phone number, never the
number. OPENDAY_RATELIMIT=off (benchmarks only) lets everything through.
"""

from django.conf import settings
from django.core.cache import cache

PREFIX = "openday:limit:"


def limit_hit(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one hit for `key`; return True while the window holds at most `limit` hits."""
    if not settings.OPENDAY_RATELIMIT:
        return True
    cache_key = PREFIX + key
    if cache.add(cache_key, 1, timeout=window_seconds):
        return limit >= 1
    try:
        count = cache.incr(cache_key)
    except ValueError:
        # The window ended between add() and incr(): this hit opens a new one.
        cache.set(cache_key, 1, timeout=window_seconds)
        count = 1
    return count <= limit
