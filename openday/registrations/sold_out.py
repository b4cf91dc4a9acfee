"""Refusing the rest of a registration rush from the cache once an activity is sold out.

In a rush nearly every attempt arrives after the last place went, and counting the places
again for each of them is most of what the rush costs. So when a public booking finds an
activity with no place left and no waiting list, the booking service marks it sold out in
the cache for OPENDAY_SOLD_OUT_SECONDS, and later public attempts are refused from there
without a query. The rules themselves stay in `services`; this is only what it remembers.

What keeps the mark honest:

- Whatever can free a place calls `clear()` once it has committed: a cancellation or a
  move (the service); a registration saved or deleted any other way, and any write to the
  activity or its invitations, single or bulk (signals in apps.py). `clear()` moves that
  activity to a new *generation*; a mark holds the generation that was current before the
  places were read, so a mark set from a read that a change overtook is never taken for a
  current one. Other activities' marks stand.
- With a cache per process (local memory), a freed place reaches the other processes when
  their mark expires; with Redis, at once.
- A broken cache never refuses anyone: every cache error is logged and ignored.

A number that booked leaves a hint (shared cache only, the number hashed), so that while
an activity is sold out, only numbers that probably hold a registration are looked up in
the database, to be told so; everybody else hears that it is full, and that a registration
made earlier stands.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from openday.core.phone import phone_digest

logger = logging.getLogger(__name__)

BOOKED_HINT_SECONDS = 24 * 60 * 60


@dataclass(frozen=True)
class Seen:
    """What the cache said about an activity, read before its places are."""

    sub_event_id: int
    generation: int
    sold_out: bool
    booked: bool


def _mark_key(sub_event_id: int) -> str:
    return f"openday:sold-out:{sub_event_id}"


def _generation_key(sub_event_id: int) -> str:
    return f"openday:sold-out-generation:{sub_event_id}"


def _booked_key(sub_event_id: int, phone: str) -> str:
    return f"openday:booked:{sub_event_id}:{phone_digest(phone)}"


def look(sub_event_id: int, phone: str) -> Seen | None:
    """Whether the activity is marked sold out, and whether this (normalised) number left
    a hint; None when the mark is off or the cache fails. One round trip."""
    if settings.OPENDAY_SOLD_OUT_SECONDS <= 0:
        return None
    mark, generation, booked = (
        _mark_key(sub_event_id),
        _generation_key(sub_event_id),
        _booked_key(sub_event_id, phone),
    )
    try:
        found = cache.get_many([mark, generation, booked])
    except Exception:
        logger.exception("sold-out mark unreadable; counting places instead")
        return None
    current = found.get(generation, 0)
    return Seen(
        sub_event_id=sub_event_id,
        generation=current,
        sold_out=mark in found and found[mark] == current,
        booked=booked in found,
    )


def mark(seen: Seen | None) -> None:
    """The places read after `seen` left no room: mark the activity sold out."""
    if seen is None:
        return
    try:
        cache.set(_mark_key(seen.sub_event_id), seen.generation, settings.OPENDAY_SOLD_OUT_SECONDS)
    except Exception:
        logger.exception("could not mark sub-event %s sold out", seen.sub_event_id)


def clear(sub_event_id: int) -> None:
    """A place may have come free on this activity: no mark set before now counts."""
    if settings.OPENDAY_SOLD_OUT_SECONDS <= 0:
        return
    key = _generation_key(sub_event_id)
    try:
        try:
            cache.incr(key)
        except ValueError:  # no generation yet: start one (or count on if another did)
            if not cache.add(key, 1, timeout=None):
                cache.incr(key)
    except Exception:
        logger.exception("could not clear the sold-out mark of sub-event %s", sub_event_id)


def remember_booked(sub_event_id: int, phone: str) -> None:
    """Leave the hint that this number booked the activity (with a shared cache only: a
    cache per process would hold a fraction of the hints, at the expense of pages)."""
    if settings.OPENDAY_SOLD_OUT_SECONDS <= 0 or not settings.CACHE_IS_SHARED or not phone:
        return
    try:
        cache.set(_booked_key(sub_event_id, phone), 1, BOOKED_HINT_SECONDS)
    except Exception:
        logger.exception("could not leave a booking hint for sub-event %s", sub_event_id)
