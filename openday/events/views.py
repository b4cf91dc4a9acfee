from django.shortcuts import get_object_or_404, render

from .caching import cache_public_page
from .models import Event, SubEvent, Venue


@cache_public_page
def programme(request):
    event = Event.objects.current()
    sub_events = SubEvent.objects.published().filter(event=event).for_listing() if event else []
    return render(request, "events/programme.html", {"event": event, "sub_events": sub_events})


@cache_public_page
def event_detail(request, slug):
    event = get_object_or_404(Event.objects.published(), slug=slug)
    sub_events = SubEvent.objects.published().filter(event=event).for_listing()
    return render(request, "events/event_detail.html", {"event": event, "sub_events": sub_events})


@cache_public_page
def subevent_detail(request, event_slug, pk):
    sub_event = get_object_or_404(
        SubEvent.objects.published().for_listing(), pk=pk, event__slug=event_slug
    )
    return render(
        request,
        "events/subevent_detail.html",
        {"sub_event": sub_event, "agenda": sub_event.agenda.all()},
    )


@cache_public_page
def venue_detail(request, slug):
    venue = get_object_or_404(Venue.objects.select_related("district"), slug=slug)
    sub_events = SubEvent.objects.published().filter(venue=venue).for_listing()
    return render(request, "events/venue_detail.html", {"venue": venue, "sub_events": sub_events})
