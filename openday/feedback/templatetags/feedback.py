"""Photos and feedback links for pages this app does not own (event and activity pages).

    {% load feedback %}
    {% event_photos event as photos %}{% include "includes/gallery.html" %}
    {% include "includes/feedback_link.html" %}

Each tag is one query, whatever the number of photos.
"""

from django import template
from django.urls import reverse

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


@register.simple_tag(takes_context=True)
def share_image_url(context, event, sub_event=None) -> str:
    """The absolute address of the picture a chat app shows for this page (`og:image`): a
    photo when there is one (the open day's cover image or cover photo, the activity's
    first photo), otherwise a card drawn from the title and date. One query at most."""
    if sub_event is not None:
        photo = (
            Photo.objects.for_gallery().filter(sub_event=sub_event).exclude(web_image="").first()
        )
        url = (
            photo.web_image.url
            if photo
            else reverse(
                "events:subevent_share_image",
                kwargs={"event_slug": event.slug, "pk": sub_event.pk},
            )
        )
    elif event.cover_image:
        url = event.cover_image.url
    else:
        cover = (
            Photo.objects.for_gallery()
            .filter(event=event, is_cover=True)
            .exclude(web_image="")
            .first()
        )
        url = (
            cover.web_image.url if cover else reverse("events:event_share_image", args=[event.slug])
        )
    return context["request"].build_absolute_uri(url)


@register.filter
def survey_open(registration) -> bool:
    return survey_open_for(registration)
