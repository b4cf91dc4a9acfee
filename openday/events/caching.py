"""Caching for the public programme that keeps "places left" honest.

Two tools, both built on Django's cache framework (Redis when `CACHE_URL` points at it,
so every app server sees the same entries; local memory otherwise):

- `cache_public_page`: a view decorator that keeps the rendered page for anonymous
  visitors, per language, fresh for `OPENDAY_PAGE_CACHE_SECONDS` (a few seconds: the
  places-left figures may lag by that much; while one process renders a stale page anew,
  after answering, visitors get the stale copy a little longer, at most twice that in
  all). No copy
  outlives the next registration window edge, start or end of any activity, nor local
  midnight, so a page cached while registration was open is gone before it closes. Every
  entry is keyed by the *programme version*, which changes whenever staff change the
  programme (signals below), so edits show at once in the process that made them and
  within VERSION_REUSE_SECONDS in every other process that shares the cache.
- `programme_conditional` and `etag_from_content`: conditional GET (ETag /
  Last-Modified, answered with 304) for calendar feeds and API lists.

How views use them (the check of the client's validator outside, the cache inside):

    @cache_public_page                                    # a public page
    def programme(request): ...

    @programme_conditional                                # a calendar feed
    @cache_public_page
    def event_calendar(request, slug): ...

    @router.get("/subevents", response=list[SubEventOut])  # an API list (django-ninja
    @decorate_view(cache_public_page, etag_from_content)  # applies them in this order,
    def subevent_list(request, ...): ...                  # the last one outermost)

The invariant callers must keep: code that changes programme rows without `save()` or
`delete()` (`QuerySet.update()`, `bulk_create()`) calls `programme_changed()` afterwards.
"""

import datetime as dt
import functools
import hashlib
import logging
import re
import time

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction
from django.db.models import Min, Q
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, set_response_etag
from django.views.decorators.http import condition

logger = logging.getLogger(__name__)

VERSION_KEY = "openday:programme-version"

# What the public pages show. A change to any of these rows changes the programme version.
PROGRAMME_MODELS = [
    "events.Event",
    "events.District",
    "events.Venue",
    "events.ActivityFormat",
    "events.SubEvent",
    "events.AgendaItem",
    "events.Invitation",
    "events.InvitedGroup",
    "events.Notice",
    "feedback.Feedback",
    "feedback.Photo",
]

# The instants at which what a page says about an activity changes by itself: registration
# opens or closes, invitation places are released, the activity starts or ends.
SUB_EVENT_EDGES = [
    "registration_opens_at",
    "registration_closes_at",
    "invitations_release_at",
    "starts_at",
    "ends_at",
]

# A page renders the CSRF token of the visitor who caused it to be cached; it is stored cut
# at that token, and each visitor gets their own joined in its place.
CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"')


# --- the programme version -------------------------------------------------------------


def clock() -> float:
    return time.time()


def _new_version() -> str:
    # Nanoseconds since the epoch, in hex: unique enough, and it says when the change was.
    return f"{time.time_ns():x}"


# With a shared cache, each process reuses the version it read for up to this long, so a
# page served from the process's own copy needs no round trip at all; a staff edit made
# through another app server shows here within that time (through this one: at once).
VERSION_REUSE_SECONDS = 1.0
# (version, reuse until): replaced whole, so threads never see half an update.
_version_read: list[tuple[str, float]] = [("", 0.0)]


def programme_version() -> str:
    """The current programme version, shared by every process that shares the cache. If the
    cache lost it, a new one starts: entries under the old one are simply never read."""
    shared = getattr(settings, "CACHE_IS_SHARED", False)
    known, until = _version_read[0]
    if shared and until > clock():
        return known
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, _new_version(), timeout=None)
        version = cache.get(VERSION_KEY) or _new_version()
    if shared:
        _version_read[0] = (version, clock() + VERSION_REUSE_SECONDS)
    return version


def _bump_version() -> None:
    version = _new_version()
    cache.set(VERSION_KEY, version, timeout=None)
    _version_read[0] = (version, clock() + VERSION_REUSE_SECONDS)


def programme_changed() -> None:
    """Make every cached page and validator stale. Called now, so this process shows the
    change at once, and again after the transaction commits, so that no request that read
    the old rows in between can leave them cached under the new version."""
    _bump_version()
    transaction.on_commit(_bump_version)


def programme_last_modified(request=None, *args, **kwargs) -> dt.datetime:
    """When the programme last changed, as far as the cache knows (never earlier)."""
    return dt.datetime.fromtimestamp(int(programme_version(), 16) / 1e9, tz=dt.UTC)


def _on_programme_saved(sender, **kwargs) -> None:
    programme_changed()


def connect_signals() -> None:
    for label in PROGRAMME_MODELS:
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        post_save.connect(_on_programme_saved, sender=model, dispatch_uid=f"programme:{label}")
        post_delete.connect(_on_programme_saved, sender=model, dispatch_uid=f"programme:{label}")


# --- how long a page may be kept -------------------------------------------------------

# A page that has just gone stale is still served, for at most this many times
# OPENDAY_PAGE_CACHE_SECONDS in all, while one process renders it anew after answering;
# so a popular page is rendered once per period, by one process, and no visitor waits.
STALE_FACTOR = 2
# If the process renewing a page dies, another may try after this many seconds.
RENEWAL_LOCK_SECONDS = 10
# A page nobody has cached yet: how long a worker waits for the one rendering it, and
# how often it looks.
COLD_WAIT_SECONDS = 3.0
COLD_POLL_SECONDS = 0.05
# Each process also keeps the pages it serves for a second, so a popular page costs one
# small round trip to the shared cache (the programme version) instead of fetching the
# whole page every time. Only fresh copies, keyed by version like the shared ones.
LOCAL_SECONDS = 1
local_pages = LocMemCache(
    "openday-pages", {"TIMEOUT": LOCAL_SECONDS, "OPTIONS": {"MAX_ENTRIES": 64}}
)


def next_programme_edge(now: dt.datetime) -> dt.datetime:
    """The first instant after `now` at which some page may change without anyone saving
    anything: the next window edge, start or end of an activity, or local midnight (the
    home page shows the next open day). One query."""
    from .models import SubEvent

    edges = SubEvent.objects.aggregate(
        **{field: Min(field, filter=Q(**{f"{field}__gt": now})) for field in SUB_EVENT_EDGES}
    )
    tomorrow = timezone.localdate(now) + dt.timedelta(days=1)
    midnight = dt.datetime.combine(tomorrow, dt.time(), tzinfo=timezone.get_current_timezone())
    return min([midnight, *(edge for edge in edges.values() if edge is not None)])


def page_lifetimes(now: dt.datetime) -> tuple[float, float]:
    """For a page rendered at `now`: seconds it is fresh, and seconds it may be kept at all
    (served stale while another process renders it anew). Both end at the next edge."""
    limit = settings.OPENDAY_PAGE_CACHE_SECONDS
    until_edge = (next_programme_edge(now) - now).total_seconds()
    return min(limit, until_edge), min(limit * STALE_FACTOR, until_edge)


# --- the page cache --------------------------------------------------------------------


def _is_personal(request) -> bool:
    """A visitor with a session (staff, someone mid-booking), pending messages or
    credentials may see a page made for them: never serve or store it from the cache."""
    return (
        settings.SESSION_COOKIE_NAME in request.COOKIES
        or "messages" in request.COOKIES
        or "HTTP_AUTHORIZATION" in request.META
    )


def page_key(request) -> str:
    """The cache key of a page: programme version, active language, full address."""
    address = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()
    language = translation.get_language() or settings.LANGUAGE_CODE
    return f"openday:page:{programme_version()}:{language}:{address}"


def renewal_lock(key: str) -> str:
    return f"{key}:renewing"


def _storable(request, response) -> dict | None:
    if response.status_code != 200 or response.streaming or response.cookies:
        return None
    # The page in pieces around each place the visitor's CSRF token goes.
    pieces = [response.content]
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        tokens = set(CSRF_INPUT.findall(response.content))
        if len(tokens) != 1:
            # The visitor's token is in the page somewhere we cannot find: keep it private.
            return None
        pieces = response.content.split(tokens.pop())
    headers = {name: value for name, value in response.headers.items() if name != "Vary"}
    return {"pieces": pieces, "headers": headers}


def _store(request, key: str, response, fresh_until: float, stale_until: float) -> None:
    """Keep the page until `stale_until` (never past the next programme edge), fresh until
    `fresh_until`; both were fixed before rendering began."""
    try:
        entry = _storable(request, response)
        seconds = int(stale_until - clock())  # rounded down: gone before the edge
        if entry is not None and seconds >= 1:
            entry["fresh_until"] = fresh_until
            cache.set(key, entry, timeout=seconds)
            _remember_locally(key, entry)
    finally:
        cache.delete(renewal_lock(key))


def _remember_locally(key: str, entry: dict | None) -> None:
    if entry is not None:
        seconds = min(LOCAL_SECONDS, entry["fresh_until"] - clock())
        if seconds > 0:
            local_pages.set(key, entry, timeout=seconds)


def _from_cache(request, entry: dict) -> HttpResponse:
    pieces = entry["pieces"]
    content = pieces[0] if len(pieces) == 1 else get_token(request).encode().join(pieces)
    response = HttpResponse(content)
    for name, value in entry["headers"].items():
        response[name] = value
    return response


def cache_public_page(view):
    """Serve the view from the shared cache to anonymous visitors, per language and full
    URL: fresh for OPENDAY_PAGE_CACHE_SECONDS, and never past the next programme edge.

    For pages whose content depends only on the URL, the language and the programme
    (public lists and detail pages, API lists); not for anything personal."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if (
            settings.OPENDAY_PAGE_CACHE_SECONDS <= 0
            or request.method not in ("GET", "HEAD")
            or _is_personal(request)
        ):
            return view(request, *args, **kwargs)
        key = page_key(request)
        entry = local_pages.get(key)
        if entry is None or entry["fresh_until"] <= clock():
            entry = cache.get(key)
            _remember_locally(key, entry)
        if entry is None:
            entry = _wait_for_render_elsewhere(key)
        if entry is None:
            return _render_and_store(view, request, args, kwargs, key)
        response = _from_cache(request, entry)
        if entry["fresh_until"] <= clock() and cache.add(
            renewal_lock(key), 1, timeout=RENEWAL_LOCK_SECONDS
        ):
            # Stale, and no other process is renewing it: this visitor gets the stale copy
            # at once, and this process renders the page anew once the answer has gone out
            # (the server calls close() after sending it), so nobody waits for a render.
            language = translation.get_language()
            response._resource_closers.append(
                lambda: _renew(view, request, args, kwargs, key, language)
            )
        return response

    return wrapper


def _wait_for_render_elsewhere(key: str) -> dict | None:
    """After a staff edit every page is new at once, and every worker asked for a popular
    page would render it together, each slowly. One renders (it takes the renewal lock);
    the others wait a moment for its result instead of competing for the same cores."""
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
            # The other render ended without storing a page (an error, a 404): render here.
            return None
    return None


def _render_and_store(view, request, args, kwargs, key: str):
    started = clock()
    fresh, kept = page_lifetimes(timezone.now())
    fresh_until, stale_until = started + fresh, started + kept
    try:
        response = view(request, *args, **kwargs)
    except Exception:
        cache.delete(renewal_lock(key))  # Http404 among them: let the next one try
        raise
    if callable(getattr(response, "render", None)) and not response.is_rendered:
        response.add_post_render_callback(
            lambda rendered: _store(request, key, rendered, fresh_until, stale_until)
        )
    else:
        _store(request, key, response, fresh_until, stale_until)
    return response


def _renew(view, request, args, kwargs, key: str, language: str | None) -> None:
    try:
        with translation.override(language):
            response = _render_and_store(view, request, args, kwargs, key)
            if callable(getattr(response, "render", None)) and not response.is_rendered:
                response.render()
    except Exception:
        # The visitor has the stale copy already; the next request renders it inline.
        logger.exception("renewing the cached page %s failed", request.path)
        cache.delete(renewal_lock(key))


# --- conditional GET -------------------------------------------------------------------


def programme_etag(request, *args, **kwargs) -> str:
    """Changes with the programme version, the language and the URL: for responses built
    from the programme alone, such as calendar feeds."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    raw = f"{programme_version()}|{language}|{request.get_full_path()}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


# Calendar feeds: answered with 304 before any query when the programme has not changed.
programme_conditional = condition(
    etag_func=programme_etag, last_modified_func=programme_last_modified
)


def etag_from_content(view):
    """An ETag from the response body, and 304 when the client already has it: for lists
    whose figures change without a programme change (places left), such as the API lists.
    Saves the transfer; combine with `cache_public_page` to save the work as well."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if request.method not in ("GET", "HEAD") or response.status_code != 200:
            return response
        if callable(getattr(response, "render", None)) and not response.is_rendered:
            response.render()
        if response.streaming:
            return response
        set_response_etag(response)
        return get_conditional_response(request, etag=response["ETag"], response=response)

    return wrapper
