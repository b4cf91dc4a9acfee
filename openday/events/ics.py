"""Calendar files (iCalendar, RFC 5545) for an open day, a sub-event or one registration.

Times are written in the site's time zone with its VTIMEZONE, so a phone set to another
zone still shows the activity at the right moment.
"""

from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from .models import SubEvent

PRODID = "-//Open Day//openday//ZH"


def calendar_event(sub_event: SubEvent, *, description: str = "") -> CalendarEvent:
    zone = timezone.get_default_timezone()
    entry = CalendarEvent()
    entry.add("uid", f"subevent-{sub_event.pk}@openday")
    entry.add("dtstamp", timezone.now())
    entry.add("dtstart", sub_event.starts_at.astimezone(zone))
    entry.add("dtend", sub_event.ends_at.astimezone(zone))
    entry.add("summary", sub_event.title)
    entry.add("location", f"{sub_event.venue.name}, {sub_event.venue.address}")
    entry.add("url", f"{settings.OPENDAY_BASE_URL}{sub_event.get_absolute_url()}")
    text = "\n\n".join(part for part in (description, sub_event.description) if part)
    if text:
        entry.add("description", text)
    if sub_event.is_cancelled:
        entry.add("status", "CANCELLED")
    return entry


def calendar_for(name: str, sub_events: Iterable[SubEvent], *, description: str = "") -> bytes:
    """A calendar with one VEVENT per sub-event. The sub-events need `venue` and `event`
    loaded (`SubEventQuerySet.for_listing()`)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    for sub_event in sub_events:
        cal.add_component(calendar_event(sub_event, description=description))
    cal.add_missing_timezones()
    return cal.to_ical()
