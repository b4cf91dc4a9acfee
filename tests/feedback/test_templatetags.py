import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext

from openday.feedback.photos import photos_create
from tests.feedback import images

pytestmark = pytest.mark.django_db

EVENT_PAGE = Template(
    "{% load feedback %}{% event_photos event as photos %}{% event_cover event as cover %}"
    '{% include "includes/gallery.html" %}{% include "includes/feedback_link.html" %}'
    "{% if cover %}cover={{ cover.caption }}{% endif %}"
)
SUBEVENT_PAGE = Template(
    "{% load feedback %}{% subevent_photos sub_event as photos %}"
    '{% include "includes/gallery.html" %}'
    '{% include "includes/feedback_link.html" with event=sub_event.event %}'
)


def add_photos(event, count, sub_event=None, caption="照片"):
    uploads = [
        SimpleUploadedFile(f"{n}.jpg", images.jpeg_bytes(size=(1600, 1000)), "image/jpeg")
        for n in range(count)
    ]
    return photos_create(event=event, sub_event=sub_event, uploads=uploads, caption=caption)


def test_gallery_has_srcset_lazy_loading_and_alt(sub_event):
    (photo,) = add_photos(sub_event.event, 1, sub_event, caption="执法队员讲解")
    html = SUBEVENT_PAGE.render(Context({"sub_event": sub_event}))
    assert f"{photo.thumbnail.url} 400w, {photo.web_image.url} 1200w" in html
    assert 'loading="lazy"' in html and 'alt="执法队员讲解"' in html
    assert 'width="1600" height="1000"' in html
    assert f"/feedback/{sub_event.event.slug}/activities/{sub_event.pk}/suggest/" in html


def test_gallery_renders_nothing_without_photos(sub_event):
    html = SUBEVENT_PAGE.render(Context({"sub_event": sub_event}))
    assert "<img" not in html
    assert "/suggest/" in html


def test_event_cover_is_the_chosen_photo(sub_event):
    first, second = add_photos(sub_event.event, 2)
    second.caption, second.is_cover = "封面", True
    second.save()
    html = EVENT_PAGE.render(Context({"event": sub_event.event}))
    assert "cover=封面" in html


def test_event_photos_queries_do_not_grow_with_photos(sub_event):
    event = sub_event.event
    add_photos(event, 1, sub_event)
    with CaptureQueriesContext(connection) as few:
        EVENT_PAGE.render(Context({"event": event}))
    add_photos(event, 3)
    with CaptureQueriesContext(connection) as many:
        html = EVENT_PAGE.render(Context({"event": event}))
    assert html.count("<img") == 4
    assert len(many) == len(few)
