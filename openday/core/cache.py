"""The cache is an accelerator, never a dependency.

`ResilientRedisCache` is the cache backend the settings choose for Redis, so every use of
Django's cache in the project (pages, programme version, sold-out marks, consent texts,
rate limits) passes through it without the caller knowing:

- short socket and connect timeouts (`OPENDAY_CACHE_TIMEOUT`), so a frozen Redis costs a
  request a fraction of a second, not the operating system's minutes;
- a circuit breaker: after a failure the process stops asking Redis for
  `OPENDAY_CACHE_RETRY_SECONDS`, then lets one call through to see whether it is back;
- while Redis fails, reads miss, writes are skipped, and the site answers from the
  database. `add()` answers True (as if the key was free), so a caller that uses it as a
  lock goes ahead on its own instead of waiting for a holder that does not exist, and
  `incr()` answers `delta`, so counters (rate limits) start afresh and let people through;
- the log says so once per outage and process, and once again when Redis answers;
- keys whose writes were skipped are deleted when Redis is back, so no value older than
  the outage (a programme version, a sold-out generation) outlives it; past
  `SKIPPED_KEYS_LIMIT` such keys the whole cache is cleared instead.

Errors that are not about reaching Redis (a missing key for `incr()`, a value that cannot
be pickled) are raised as usual.
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

SKIPPED_KEYS_LIMIT = 10_000

try:
    from redis.exceptions import RedisError
except ImportError:  # pragma: no cover - redis is a requirement
    RedisError = OSError  # type: ignore[misc,assignment]

# OSError covers refused and reset connections and socket timeouts below redis-py.
UNREACHABLE = (RedisError, OSError)


class CircuitBreaker:
    """Whether to ask the cache at all. Shared by every thread of a process (Django makes a
    backend instance per thread), one per cache location."""

    def __init__(self, name: str, retry_seconds: float):
        self.name = name
        self.retry_seconds = retry_seconds
        self._lock = threading.Lock()
        self._open_until = 0.0  # 0: closed, calls go through
        self._trial = False  # one call is finding out whether the cache is back
        self.down = False
        self.skipped: set[str] = set()
        self.overflowed = False

    def allow(self) -> bool:
        if not self.down:
            return True
        with self._lock:
            if self._trial or time.monotonic() < self._open_until:
                return False
            self._trial = True
            return True

    def failed(self, error: BaseException) -> None:
        with self._lock:
            self._trial = False
            self._open_until = time.monotonic() + self.retry_seconds
            if self.down:
                return
            self.down = True
        logger.warning(
            "cache %s unreachable (%s: %s); answering from the database, trying again every %s s",
            self.name,
            type(error).__name__,
            error,
            self.retry_seconds,
        )

    def succeeded(self) -> tuple[set[str], bool] | None:
        """The cache answered. After an outage: the keys to forget (and whether there were
        too many to list), once, to the caller that saw it come back."""
        if not self.down:
            return None
        with self._lock:
            if not self.down:
                return None
            self.down = False
            self._trial = False
            skipped, overflowed = self.skipped, self.overflowed
            self.skipped, self.overflowed = set(), False
        logger.warning("cache %s answers again", self.name)
        return skipped, overflowed

    def skip_everything(self) -> None:
        with self._lock:
            self.skipped, self.overflowed = set(), True

    def skip(self, keys) -> None:
        with self._lock:
            if self.overflowed:
                return
            self.skipped.update(keys)
            if len(self.skipped) > SKIPPED_KEYS_LIMIT:
                self.skipped, self.overflowed = set(), True


def shared_cache_down() -> bool:
    """Whether the default cache is a `ResilientRedisCache` whose breaker is open."""
    from django.core.cache import cache

    breaker = getattr(cache, "breaker", None)
    return bool(breaker is not None and breaker.down)


_breakers: dict[str, CircuitBreaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(location: str, retry_seconds: float) -> CircuitBreaker:
    with _breakers_lock:
        if location not in _breakers:
            _breakers[location] = CircuitBreaker(location.split("@")[-1], retry_seconds)
        return _breakers[location]


class ResilientRedisCache(RedisCache):
    """Django's Redis cache behind a circuit breaker (see the module docstring).

    OPTIONS: `RETRY_SECONDS` (how long to leave Redis alone after a failure); the rest go
    to redis-py's connection pool as for RedisCache (`socket_timeout`,
    `socket_connect_timeout`, ...)."""

    def __init__(self, server, params):
        params = dict(params)
        options = dict(params.get("OPTIONS") or {})
        retry_seconds = float(options.pop("RETRY_SECONDS", 5))
        params["OPTIONS"] = options
        super().__init__(server, params)
        self.breaker = breaker_for(str(server), retry_seconds)

    def _call(self, method, fallback, args, written_keys=()):
        breaker = self.breaker
        if not breaker.allow():
            if written_keys:
                breaker.skip(written_keys)
            return fallback
        try:
            result = method(*args)
        except UNREACHABLE as error:
            breaker.failed(error)
            if written_keys:
                breaker.skip(written_keys)
            return fallback
        recovered = breaker.succeeded()
        if recovered is not None:
            self._forget(*recovered)
        return result

    def _forget(self, keys: set[str], everything: bool) -> None:
        """Drop what may have gone stale while writes were skipped."""
        try:
            if everything:
                super().clear()
            elif keys:
                self._cache.delete_many(list(keys))
        except UNREACHABLE as error:
            self.breaker.skip(keys)
            self.breaker.failed(error)

    def reachable(self) -> bool:
        """One round trip through the breaker (for /readyz): False while it is open."""
        return bool(self._call(lambda: self._cache.get_client().ping(), False, ()))

    # Reads miss.
    def get(self, key, default=None, version=None):
        return self._call(super().get, default, (key, default, version))

    def get_many(self, keys, version=None):
        return self._call(super().get_many, {}, (keys, version))

    def has_key(self, key, version=None):
        return self._call(super().has_key, False, (key, version))

    # Writes are skipped; their keys are forgotten when the cache is back.
    def _key(self, key, version):
        return self.make_and_validate_key(key, version=version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(
            super().set, None, (key, value, timeout, version), [self._key(key, version)]
        )

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        keys = [self._key(key, version) for key in data]
        return self._call(super().set_many, [], (data, timeout, version), keys)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(super().add, True, (key, value, timeout, version))

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(super().touch, False, (key, timeout, version))

    def delete(self, key, version=None):
        return self._call(super().delete, False, (key, version), [self._key(key, version)])

    def delete_many(self, keys, version=None):
        keys = list(keys)
        written = [self._key(key, version) for key in keys]
        return self._call(super().delete_many, None, (keys, version), written)

    def incr(self, key, delta=1, version=None):
        return self._call(super().incr, delta, (key, delta, version), [self._key(key, version)])

    def clear(self):
        cleared = self._call(super().clear, None, ())
        if cleared is None:
            self.breaker.skip_everything()
        return bool(cleared)
