"""Photos and feedback links for pages this app does not own (event and activity pages).

    {% load feedback %}
    {% event_photos event as photos %}{% include "includes/gallery.html" %}
    {% include "includes/feedback_link.html" %}

Each tag is one query, whatever the number of photos.
"""

from django import template

from ..models import Photo
from ..services import survey_open_for

register = template.Library()


@register.simple_tag
def event_photos(event, limit=24):
    """Photos of the open day and of all its activities, in the order staff chose."""
    return list(Photo.objects.for_gallery().filter(event=event)[:limit])


@register.simple_tag
def subevent_photos(sub_event, limit=24):
    return list(Photo.objects.for_gallery().filter(sub_event=sub_event)[:limit])


@register.simple_tag
def event_cover(event):
    """The photo staff marked as the open day's cover, or None."""
    return Photo.objects.for_gallery().filter(event=event, is_cover=True).first()


@register.filter
def survey_open(registration) -> bool:
    return survey_open_for(registration)
