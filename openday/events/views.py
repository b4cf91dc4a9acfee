"""The public programme: the current open day, its archive, event, sub-event and venue
pages, calendar files and the privacy page.

Every page makes a fixed number of queries, whatever the number of sub-events or
registrations: lists come from `SubEventQuerySet.for_listing()` (places left annotated in
the same query) and related rows are prefetched, never loaded per card. The programme is
paginated (OPENDAY_PROGRAMME_PAGE_SIZE a page), so a city-wide programme stays light on a
phone: one COUNT query more, and only one page of rows fetched and rendered.
"""

import datetime as dt
import hashlib
from itertools import groupby

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from openday.core.share_card import share_card_png

from . import ics
from .models import (
    ActivityFormat,
    AgendaItem,
    District,
    Event,
    InvitedGroup,
    Notice,
    SubEvent,
    Venue,
)
from .pages import cache_public_page, programme_conditional


class ProgrammeFilterForm(forms.Form):
    """The programme's filters: plain GET parameters, so a filtered list is a link that
    can be shared in a chat and works without JavaScript."""

    district = forms.ChoiceField(
        label=_("District"),
        required=False,
        error_messages={"invalid_choice": _("There is no such district; showing all.")},
    )
    format = forms.ChoiceField(
        label=_("Format"),
        required=False,
        error_messages={"invalid_choice": _("There is no such format; showing all.")},
    )
    day = forms.TypedChoiceField(
        label=_("Day"),
        required=False,
        coerce=dt.date.fromisoformat,
        empty_value=None,
        error_messages={"invalid_choice": _("The open day has no such day; showing all.")},
    )

    def __init__(self, *args, event: Event, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the days something happens on (in local time): a day with nothing would
        # lead to an empty list. One query, however many activities.
        starts = (
            SubEvent.objects.published()
            .filter(event=event)
            .datetimes("starts_at", "day", tzinfo=timezone.get_current_timezone())
        )
        days = [(start.date().isoformat(), _date_label(start.date())) for start in starts]
        self.fields["day"].choices = [("", _("All days")), *days]
        # Plain (slug, name) lists: one query each, and the template can loop over them.
        self.fields["district"].choices = [
            ("", _("All districts")),
            *District.objects.values_list("slug", "name"),
        ]
        self.fields["format"].choices = [
            ("", _("All formats")),
            *ActivityFormat.objects.values_list("slug", "name"),
        ]

    def filtered(self, sub_events):
        """Apply the valid filters; an invalid one is dropped (and reported), never a 500."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        if data.get("district"):
            sub_events = sub_events.filter(district__slug=data["district"])
        if data.get("format"):
            sub_events = sub_events.filter(format__slug=data["format"])
        if data.get("day"):
            sub_events = sub_events.filter(starts_at__date=data["day"])
        return sub_events

    def query(self) -> dict[str, str]:
        """The valid filters as GET parameters, for links that keep them (page links).
        Invalid values are left out: the list shown ignores them too."""
        data = getattr(self, "cleaned_data", {})
        return {name: str(data[name]) for name in ("district", "format", "day") if data.get(name)}

    @property
    def active(self) -> bool:
        return bool(self.query())


def _date_label(day: dt.date) -> str:
    return date_format(day, "MONTH_DAY_FORMAT") + " " + date_format(day, "D")


def _grouped_by_day(sub_events) -> list[tuple[dt.date, list[SubEvent], bool]]:
    """[(local date, [sub-events in time order], finished), ...] for the programme's day
    sections, from sub-events listed upcoming first: the days of finished activities come
    last, marked so that the page can head them as such."""
    return [
        (day, list(items), finished)
        for (finished, day), items in groupby(
            sub_events,
            key=lambda s: (bool(s.finished), timezone.localtime(s.starts_at).date()),
        )
    ]


def _page_number(raw: str | None, num_pages: int) -> int:
    """The page asked for, or the nearest one that exists: junk means the first page, a
    number past either end the page at that end. Never an error: page links are shared in
    chats, and the programme may have shrunk since the link was made."""
    try:
        number = int(raw)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), num_pages)


def _page_links(request, filters: ProgrammeFilterForm, page: Page) -> dict:
    """Addresses of the other pages: this path with the valid filters and `page` (left out
    for page 1, so that the first page has one address and one cache entry)."""

    def url(number: int) -> str:
        query = filters.query()
        if number > 1:
            query["page"] = str(number)
        return f"{request.path}?{urlencode(query)}" if query else request.path

    paginator = page.paginator
    return {
        "previous": url(page.previous_page_number()) if page.has_previous() else None,
        "next": url(page.next_page_number()) if page.has_next() else None,
        # A compact list for a phone: 1 … 5 6 7 … 13 (None stands for the gap).
        "pages": [
            {"number": number, "url": url(number)} if isinstance(number, int) else None
            for number in paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1)
        ],
    }


def _programme_context(request, event: Event) -> dict:
    published = SubEvent.objects.published().filter(event=event)
    filters = ProgrammeFilterForm(request.GET or None, event=event)
    listed = filters.filtered(published.filter(is_main_venue=False).for_listing().upcoming_first())
    paginator = Paginator(listed, settings.OPENDAY_PROGRAMME_PAGE_SIZE)
    page = paginator.page(_page_number(request.GET.get("page"), paginator.num_pages))
    # The main venue heads the first page only: further pages continue the list, and on a
    # phone the highlight again would push it below the first screen.
    main_venue = None
    if page.number == 1:
        main_venue = published.filter(is_main_venue=True).for_listing().first()
    return {
        "event": event,
        "notices": list(Notice.objects.for_page(event_id=event.pk)),
        "filters": filters,
        "main_venue": main_venue,
        "page_obj": page,
        "page_links": _page_links(request, filters, page),
        "days": _grouped_by_day(page.object_list),
        "result_count": paginator.count,
    }


@require_safe
@cache_public_page
def programme(request):
    event = Event.objects.current()
    if event is None:
        return render(request, "events/programme.html", {"event": None})
    return render(request, "events/programme.html", _programme_context(request, event))


@require_safe
@cache_public_page
def archive(request):
    events = Event.objects.published().order_by("-starts_on")
    today = timezone.localdate()
    return render(
        request,
        "events/archive.html",
        {
            "upcoming": [e for e in events if e.ends_on >= today],
            "past": [e for e in events if e.ends_on < today],
        },
    )


@require_safe
@cache_public_page
def event_detail(request, slug):
    event = get_object_or_404(Event.objects.published(), slug=slug)
    context = _programme_context(request, event)
    context["formats"] = ActivityFormat.objects.filter(
        sub_events__event=event, sub_events__is_published=True
    ).distinct()
    context["invited_groups"] = InvitedGroup.objects.filter(
        invitations__sub_event__event=event, invitations__sub_event__is_published=True
    ).distinct()
    context["calendar_districts"] = District.objects.filter(
        sub_events__event=event, sub_events__is_published=True
    ).distinct()
    return render(request, "events/event_detail.html", context)


@require_safe
@cache_public_page
def subevent_detail(request, event_slug, pk):
    sub_event = get_object_or_404(
        SubEvent.objects.published()
        .for_listing()
        .prefetch_related(Prefetch("agenda", queryset=AgendaItem.objects.order_by("starts_at"))),
        pk=pk,
        event__slug=event_slug,
    )
    notices = Notice.objects.for_page(event_id=sub_event.event_id, sub_event_id=sub_event.pk)
    return render(
        request,
        "events/subevent_detail.html",
        {"sub_event": sub_event, "notices": list(notices)},
    )


@require_safe
@cache_public_page
def venue_detail(request, slug):
    venue = get_object_or_404(Venue.objects.select_related("district"), slug=slug)
    sub_events = list(
        SubEvent.objects.published().filter(venue=venue).for_listing().upcoming_first()
    )
    return render(
        request,
        "events/venue_detail.html",
        {"venue": venue, "days": _grouped_by_day(sub_events), "sub_events": sub_events},
    )


@require_safe
def privacy(request):
    return render(
        request,
        "privacy.html",
        {
            "retention_days": settings.OPENDAY_RETENTION_DAYS,
            "noshow_rule": settings.OPENDAY_NOSHOW_LIMIT > 0,
            "noshow_months": settings.OPENDAY_NOSHOW_MONTHS,
            "consent_version": settings.OPENDAY_CONSENT_VERSION,
        },
    )


def _ics_response(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_safe
@programme_conditional
def event_calendar(request, slug):
    event = get_object_or_404(Event.objects.published(), slug=slug)
    sub_events = SubEvent.objects.published().filter(event=event).for_listing()
    return _ics_response(ics.calendar_for(event.title, sub_events), f"{event.slug}.ics")


@require_safe
@programme_conditional
def district_calendar(request, slug, district_slug):
    """One district's activities of an open day, for a calendar app to subscribe to."""
    event = get_object_or_404(Event.objects.published(), slug=slug)
    district = get_object_or_404(District, slug=district_slug)
    sub_events = SubEvent.objects.published().filter(event=event, district=district).for_listing()
    return _ics_response(
        ics.calendar_for(f"{event.title} · {district.name}", sub_events),
        f"{event.slug}-{district.slug}.ics",
    )


@require_safe
@programme_conditional
def subevent_calendar(request, event_slug, pk):
    sub_event = get_object_or_404(
        SubEvent.objects.published().for_listing(), pk=pk, event__slug=event_slug
    )
    return _ics_response(
        ics.calendar_for(sub_event.title, [sub_event]), f"{event_slug}-{sub_event.pk}.ics"
    )


# --- share images (og:image) ---------------------------------------------------------


def _png_response(request, png: bytes) -> HttpResponse:
    response = HttpResponse(png, content_type="image/png")
    # Chat apps fetch the card once per link; a changed title gives a new address.
    response["Cache-Control"] = f"public, max-age={SHARE_IMAGE_SECONDS}"
    return response


SHARE_IMAGE_SECONDS = 24 * 60 * 60


def _share_card(*, title: str, when: str, subtitle: str, label: str) -> bytes:
    """Drawn once per text and language, then kept in the cache: drawing takes a fraction
    of a second, and every chat that shows the link asks for it."""
    key = (
        "share-card:"
        + hashlib.sha256("\x1f".join((title, when, subtitle, label)).encode()).hexdigest()
    )
    png = cache.get(key)
    if png is None:
        png = share_card_png(title=title, when=when, subtitle=subtitle, label=label)
        cache.set(key, png, SHARE_IMAGE_SECONDS)
    return png


@require_safe
def event_share_image(request, slug):
    event = get_object_or_404(Event.objects.published(), slug=slug)
    when = date_format(event.starts_on, "DATE_FORMAT")
    if event.ends_on != event.starts_on:
        when = f"{when} – {date_format(event.ends_on, 'DATE_FORMAT')}"
    png = _share_card(
        title=event.title, when=when, subtitle=event.theme or event.organiser, label=event.organiser
    )
    return _png_response(request, png)


@require_safe
def subevent_share_image(request, event_slug, pk):
    sub_event = get_object_or_404(
        SubEvent.objects.published().select_related("event", "venue", "district"),
        pk=pk,
        event__slug=event_slug,
    )
    starts = timezone.localtime(sub_event.starts_at)
    when = "{} {} {}–{}".format(
        date_format(starts, "DATE_FORMAT"),
        date_format(starts, "D"),
        date_format(starts, "H:i"),
        date_format(timezone.localtime(sub_event.ends_at), "H:i"),
    )
    place = sub_event.venue.name
    if sub_event.district:
        place = f"{sub_event.district.name} · {place}"
    png = _share_card(title=sub_event.title, when=when, subtitle=place, label=sub_event.event.title)
    return _png_response(request, png)
