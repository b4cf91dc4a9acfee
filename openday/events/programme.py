"""The programme version: one value, shared through the cache, that changes whenever
anything the public pages show changes.

Cached pages and calendar validators are keyed by it, so an edit shows at once in the
process that made it and within VERSION_REUSE_SECONDS in every other process that shares
the cache. Every write reaches it without the caller's help: `track(model)` connects a
model's saves and deletes, and `ProgrammeQuerySet` (the querysets of every tracked model)
does the same for `update()`, `delete()`, `bulk_create()` and `bulk_update()`.

Writes that may change what an activity has to offer (its own row, its invitations) also
send `activities_changed` with the activity IDs, for whoever remembers something per
activity (the sold-out marks).
"""

import time

from django.conf import settings
from django.core.cache import cache
from django.db import models, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal

from openday.core.cache import shared_cache_down

VERSION_KEY = "openday:programme-version"

# Sent with `sub_event_ids` (a list) after a bulk write to sub-events or their invitations;
# single saves and deletes send Django's own model signals.
activities_changed = Signal()


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
    if version is None and known and shared_cache_down():
        # The shared cache is away: this process keeps its version, so its own copies of
        # pages stay usable until they go stale (their fresh period), instead of every
        # page counting as new each second.
        version = known
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


def _on_saved(sender, **kwargs) -> None:
    programme_changed()


def track(model) -> None:
    """Count `model` as part of the programme: each save or delete changes the version.
    Its default queryset must be a ProgrammeQuerySet, which covers bulk writes."""
    if not issubclass(model._default_manager._queryset_class, ProgrammeQuerySet):
        raise TypeError(f"{model.__name__} needs a ProgrammeQuerySet to be tracked")
    uid = f"programme:{model._meta.label}"
    post_save.connect(_on_saved, sender=model, dispatch_uid=uid)
    post_delete.connect(_on_saved, sender=model, dispatch_uid=uid)


class ProgrammeQuerySet(models.QuerySet):
    """Bulk writes change the programme version, like saves and deletes do."""

    # The field naming the sub-event a row is about (`pk` for sub-events themselves), for
    # `activities_changed`; None for rows that are not about one activity.
    activity_field: str | None = None

    def _written(self, sub_event_ids: list[int] | None) -> None:
        programme_changed()
        if sub_event_ids:
            activities_changed.send(sender=self.model, sub_event_ids=sub_event_ids)

    def _activities_if_heard(self) -> list[int] | None:
        # Read before the write, and only when someone listens.
        if self.activity_field is None or not activities_changed.has_listeners():
            return None
        return sorted(set(self.values_list(self.activity_field, flat=True)))

    def update(self, **kwargs) -> int:
        ids = self._activities_if_heard()
        rows = super().update(**kwargs)
        if rows:
            self._written(ids)
        return rows

    update.alters_data = True

    def delete(self):
        ids = self._activities_if_heard()
        result = super().delete()
        if result[0]:
            self._written(ids)
        return result

    delete.alters_data = True
    delete.queryset_only = True

    def _raw_delete(self, using):
        # Django's fast path for deletes that need no signals.
        rows = super()._raw_delete(using)
        if rows:
            programme_changed()
        return rows

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        if created:
            self._written(self._ids_of(created))
        return created

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        rows = super().bulk_update(objs, fields, *args, **kwargs)
        if rows:
            self._written(self._ids_of(objs))
        return rows

    def _ids_of(self, objs) -> list[int] | None:
        if self.activity_field is None:
            return None
        return sorted({getattr(obj, self.activity_field) for obj in objs})
