"""The public pages' cache and validators, bound to the programme version.

    @cache_public_page                                    # a public page
    def programme(request): ...

    @programme_conditional                                # a calendar feed: 304 before
    @cache_public_page                                    # any query while unchanged
    def event_calendar(request, slug): ...

    @router.get("/subevents", response=list[SubEventOut])  # an API list (django-ninja
    @decorate_view(cache_public_page, etag_from_content)  # applies them in this order,
    def subevent_list(request, ...): ...                  # the last one outermost)

A page is fresh for OPENDAY_PAGE_CACHE_SECONDS (the places-left figures may lag by that
much) and may be served stale for as long again while one process renders it anew. No
copy outlives the next registration window edge, start or end of any activity, nor local
midnight, so a page cached while registration was open is gone before it closes.
"""

import datetime as dt

from django.conf import settings
from django.utils import timezone

from openday.core.conditional import etag_from_content, version_conditional
from openday.core.pagecache import PageCache

from .models import SubEvent
from .programme import programme_version

__all__ = ["cache_public_page", "etag_from_content", "page_lifetimes", "programme_conditional"]

# A page that has just gone stale is still served, for at most this many times
# OPENDAY_PAGE_CACHE_SECONDS in all, while one process renders it anew.
STALE_FACTOR = 2


def next_programme_edge(now: dt.datetime) -> dt.datetime:
    """The first instant after `now` at which some page may change without anyone saving
    anything: an activity's edge, or local midnight (the home page shows the next open
    day). One query."""
    tomorrow = timezone.localdate(now) + dt.timedelta(days=1)
    midnight = dt.datetime.combine(tomorrow, dt.time(), tzinfo=timezone.get_current_timezone())
    edge = SubEvent.objects.next_edge(now)
    return midnight if edge is None else min(midnight, edge)


def page_lifetimes(now: dt.datetime) -> tuple[float, float]:
    """For a page rendered at `now`: seconds it is fresh, and seconds it may be kept at all.
    Both end at the next edge."""
    limit = settings.OPENDAY_PAGE_CACHE_SECONDS
    until_edge = (next_programme_edge(now) - now).total_seconds()
    return min(limit, until_edge), min(limit * STALE_FACTOR, until_edge)


cache_public_page = PageCache(version=programme_version, lifetimes=page_lifetimes)
programme_conditional = version_conditional(programme_version)
