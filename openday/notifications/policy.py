"""When a message may go out: urgency, quiet hours, the SMS budget, retries."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from .kinds import Kind

# Answers to what the person just did, or news they must have before the activity: these
# go out at any hour and past the budget. Everything else waits for the morning.
URGENT = frozenset(
    {
        Kind.VERIFICATION_CODE,
        Kind.BOOKING_CONFIRMED,
        Kind.BOOKING_WAITLISTED,
        Kind.BOOKING_CANCELLED,
        Kind.WAITLIST_PROMOTED,
        Kind.MANAGE_LINK,
        Kind.ACTIVITY_CHANGED,
        Kind.ACTIVITY_CANCELLED,
        Kind.LIVE_NOTICE,
    }
)

# Attempts at one message before it is given up; the n-th retry waits
# OPENDAY_MESSAGE_RETRY_SECONDS × 4^(n-1), at most MAX_RETRY_DELAY: with the default 30 s
# the last attempt comes about nine hours after the first.
MAX_ATTEMPTS = 7
MAX_RETRY_DELAY = 4 * 3600


def is_urgent(kind: str) -> bool:
    return kind in URGENT


def retry_delay(attempt: int) -> int:
    """Seconds to wait after the `attempt`-th attempt failed for now."""
    return min(settings.OPENDAY_MESSAGE_RETRY_SECONDS * 4 ** (attempt - 1), MAX_RETRY_DELAY)


def quiet_until(now: dt.datetime) -> dt.datetime | None:
    """The end of the night if `now` falls in the quiet hours (local time), else None."""
    start, end = settings.OPENDAY_QUIET_HOURS_START, settings.OPENDAY_QUIET_HOURS_END
    if start == end:
        return None
    local = timezone.localtime(now)
    hour = local.hour
    quiet = (start <= hour or hour < end) if start > end else (start <= hour < end)
    if not quiet:
        return None
    morning = local.replace(hour=end, minute=0, second=0, microsecond=0)
    if morning <= local:
        morning += dt.timedelta(days=1)
    return morning


def not_before(kind: str, at: dt.datetime) -> dt.datetime:
    """The first moment from `at` at which a message of `kind` may go out by the clock."""
    if is_urgent(kind):
        return at
    return quiet_until(at) or at


def sms_budget_left(now: dt.datetime) -> tuple[int | None, int | None]:
    """Text messages the hourly and the daily budget still allow (None: no limit)."""
    from .models import Notification

    hour_limit, day_limit = settings.OPENDAY_SMS_BUDGET_HOUR, settings.OPENDAY_SMS_BUDGET_DAY
    if not hour_limit and not day_limit:
        return None, None
    sent = Notification.objects.filter(channel=Notification.Channel.SMS)
    counts = sent.aggregate(
        hour=Count("pk", filter=Q(sent_at__gt=now - dt.timedelta(hours=1))),
        day=Count("pk", filter=Q(sent_at__gt=now - dt.timedelta(days=1))),
    )
    return (
        max(hour_limit - counts["hour"], 0) if hour_limit else None,
        max(day_limit - counts["day"], 0) if day_limit else None,
    )


def budget_reached(now: dt.datetime) -> bool:
    return 0 in sms_budget_left(now)


def budget_resumes(now: dt.datetime) -> dt.datetime:
    """When to look again at a message held back by the budget."""
    _hour_left, day_left = sms_budget_left(now)
    if day_left == 0:
        return now + dt.timedelta(hours=1)
    return now + dt.timedelta(minutes=10)
