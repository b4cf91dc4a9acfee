"""A shared cache of whole pages for anonymous visitors, keyed by a version of the data the
pages are made of.

`PageCache(version=..., lifetimes=...)` knows nothing of what the pages show: `version()`
names the current state of their data (a new one makes every entry stale at once), and
`lifetimes(now)` says how long a page rendered now is fresh, and how long it may be kept
at all. Django's cache framework holds the entries (Redis when `CACHE_URL` points at it,
so every app server sees them; local memory otherwise).

A page that has just gone stale is still served while one process renders it anew after
answering, so a popular page is rendered once per period, by one process, and no visitor
waits. A page nobody has cached yet is rendered by one process while the others wait a
moment for its result.
"""

import datetime as dt
import functools
import hashlib
import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpResponse
from django.utils import timezone, translation

from .cache import shared_cache_down

logger = logging.getLogger(__name__)

# If the process renewing a page dies, another may try after this many seconds.
RENEWAL_LOCK_SECONDS = 10
# A page nobody has cached yet: how long a worker waits for the one rendering it, and
# how often it looks.
COLD_WAIT_SECONDS = 3.0
COLD_POLL_SECONDS = 0.05
# Each process also keeps the pages it serves for a second, so a popular page costs one
# small round trip to the shared cache (the version) instead of fetching the whole page
# every time. Only fresh copies, keyed by version like the shared ones. While the shared
# cache is unreachable, a process keeps its pages for as long as they are fresh: each
# process then renders a page once per period instead of once a second.
LOCAL_SECONDS = 1
local_pages = LocMemCache(
    "openday-pages", {"TIMEOUT": LOCAL_SECONDS, "OPTIONS": {"MAX_ENTRIES": 64}}
)


def clock() -> float:
    return time.time()


def is_personal(request) -> bool:
    """A visitor with a session (staff, someone mid-booking), pending messages or
    credentials may see a page made for them: never serve or store it from the cache."""
    return (
        settings.SESSION_COOKIE_NAME in request.COOKIES
        or "messages" in request.COOKIES
        or "HTTP_AUTHORIZATION" in request.META
    )


def renewal_lock(key: str) -> str:
    return f"{key}:renewing"


def _storable(request, response) -> dict | None:
    # A page that sets a cookie or holds the visitor's CSRF token is theirs: never shared.
    if (
        response.status_code != 200
        or response.streaming
        or response.cookies
        or request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
    ):
        return None
    headers = {name: value for name, value in response.headers.items() if name != "Vary"}
    return {"content": response.content, "headers": headers}


def _remember_locally(key: str, entry: dict | None) -> None:
    if entry is not None:
        fresh_for = entry["fresh_until"] - clock()
        seconds = fresh_for if shared_cache_down() else min(LOCAL_SECONDS, fresh_for)
        if seconds > 0:
            local_pages.set(key, entry, timeout=seconds)


def _response_from(entry: dict) -> HttpResponse:
    response = HttpResponse(entry["content"])
    for name, value in entry["headers"].items():
        response[name] = value
    return response


class PageCache:
    def __init__(
        self,
        *,
        version: Callable[[], str],
        lifetimes: Callable[[dt.datetime], tuple[float, float]],
        prefix: str = "openday:page",
    ):
        self.version = version
        self.lifetimes = lifetimes
        self.prefix = prefix

    def page_key(self, request) -> str:
        """The cache key of a page: data version, active language, full address."""
        address = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()
        language = translation.get_language() or settings.LANGUAGE_CODE
        return f"{self.prefix}:{self.version()}:{language}:{address}"

    def __call__(self, view):
        """Serve `view` from the cache to anonymous visitors, per language and full URL.

        For pages whose content depends only on the URL, the language and the versioned
        data; not for anything personal. OPENDAY_PAGE_CACHE_SECONDS <= 0 turns it off."""

        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if (
                settings.OPENDAY_PAGE_CACHE_SECONDS <= 0
                or request.method not in ("GET", "HEAD")
                or is_personal(request)
            ):
                return view(request, *args, **kwargs)
            key = self.page_key(request)
            entry = local_pages.get(key)
            if entry is None or entry["fresh_until"] <= clock():
                entry = cache.get(key)
                _remember_locally(key, entry)
            if entry is None:
                entry = self._wait_for_render_elsewhere(key)
            if entry is None:
                return self._render_and_store(view, request, args, kwargs, key)
            response = _response_from(entry)
            if entry["fresh_until"] <= clock() and cache.add(
                renewal_lock(key), 1, timeout=RENEWAL_LOCK_SECONDS
            ):
                # Stale, and no other process is renewing it: this visitor gets the stale
                # copy at once, and this process renders the page anew once the answer has
                # gone out (the server calls close() after sending it).
                language = translation.get_language()
                response._resource_closers.append(
                    lambda: self._renew(view, request, args, kwargs, key, language)
                )
            return response

        return wrapper

    @staticmethod
    def _wait_for_render_elsewhere(key: str) -> dict | None:
        """After a change every page is new at once, and every worker asked for a popular
        page would render it together. One renders (it takes the renewal lock); the others
        wait a moment for its result instead of competing for the same cores."""
        lock = renewal_lock(key)
        if cache.add(lock, 1, timeout=RENEWAL_LOCK_SECONDS):
            return None
        deadline = time.monotonic() + COLD_WAIT_SECONDS
        while time.monotonic() < deadline:
            time.sleep(COLD_POLL_SECONDS)
            found = cache.get_many([key, lock])
            if key in found:
                return found[key]
            if lock not in found:
                # The other render ended without storing a page (an error, a 404).
                return None
        return None

    def _render_and_store(self, view, request, args, kwargs, key: str):
        started = clock()
        try:
            # The lifetimes read the database too: if it is away, the lock goes as well,
            # or every other visitor of the page would wait for a render that never ends.
            fresh, kept = self.lifetimes(timezone.now())
            response = view(request, *args, **kwargs)
        except Exception:
            cache.delete(renewal_lock(key))  # Http404 among them: let the next one try
            raise
        fresh_until, stale_until = started + fresh, started + kept
        if callable(getattr(response, "render", None)) and not response.is_rendered:
            response.add_post_render_callback(
                lambda rendered: self._store(request, key, rendered, fresh_until, stale_until)
            )
        else:
            self._store(request, key, response, fresh_until, stale_until)
        return response

    @staticmethod
    def _store(request, key: str, response, fresh_until: float, stale_until: float) -> None:
        """Keep the page until `stale_until`, fresh until `fresh_until`; both were fixed
        before rendering began."""
        try:
            entry = _storable(request, response)
            seconds = int(stale_until - clock())  # rounded down: gone before the limit
            if entry is not None and seconds >= 1:
                entry["fresh_until"] = fresh_until
                cache.set(key, entry, timeout=seconds)
                _remember_locally(key, entry)
        finally:
            cache.delete(renewal_lock(key))

    def _renew(self, view, request, args, kwargs, key: str, language: str | None) -> None:
        try:
            with translation.override(language):
                response = self._render_and_store(view, request, args, kwargs, key)
                if callable(getattr(response, "render", None)) and not response.is_rendered:
                    response.render()
        except Exception:
            # The visitor has the stale copy already; the next request renders it inline.
            logger.exception("renewing the cached page %s failed", request.path)
            cache.delete(renewal_lock(key))
