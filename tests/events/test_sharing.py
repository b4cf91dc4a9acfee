"""Links pasted into a chat show a card (og:image), and calendar apps can subscribe to
the open day and to each district (webcal://)."""

import io
import re

import pytest
from django.urls import reverse
from icalendar import Calendar
from PIL import Image

from tests import factories

pytestmark = pytest.mark.django_db


def og_image(page: str) -> str:
    return re.search(r'<meta property="og:image" content="([^"]+)">', page).group(1)


def test_event_without_photo_shares_a_card_drawn_from_its_title(client):
    event = factories.EventFactory(title="城市管理公众开放日")
    page = client.get(event.get_absolute_url()).content.decode()
    image_url = og_image(page)
    assert image_url == f"http://testserver{reverse('events:event_share_image', args=[event.slug])}"
    response = client.get(image_url)
    assert response["Content-Type"] == "image/png"
    card = Image.open(io.BytesIO(response.content))
    assert card.size == (1200, 630)
    # Not a blank rectangle: the title and date are drawn on it.
    assert len(card.convert("L").getcolors(maxcolors=100_000)) > 10


def test_activity_without_photo_shares_its_own_card(client):
    sub_event = factories.SubEventFactory(title="城管执法体验日")
    page = client.get(sub_event.get_absolute_url()).content.decode()
    expected = reverse(
        "events:subevent_share_image",
        kwargs={"event_slug": sub_event.event.slug, "pk": sub_event.pk},
    )
    assert og_image(page) == f"http://testserver{expected}"
    assert client.get(expected)["Content-Type"] == "image/png"


def test_cards_differ_with_their_titles(client):
    first, second = factories.SubEventFactory.create_batch(2)
    images = [
        client.get(
            reverse(
                "events:subevent_share_image",
                kwargs={"event_slug": sub_event.event.slug, "pk": sub_event.pk},
            )
        ).content
        for sub_event in (first, second)
    ]
    assert images[0] != images[1]


def test_activity_with_a_photo_shares_the_photo(client):
    from django.core.files.base import ContentFile

    from openday.feedback.models import Photo

    sub_event = factories.SubEventFactory()
    photo = Photo(event=sub_event.event, sub_event=sub_event, caption="巡查")
    photo.image.save("a.jpg", ContentFile(b"jpeg"), save=False)
    photo.web_image.save("a-web.jpg", ContentFile(b"jpeg"), save=False)
    photo.thumbnail.save("a-thumb.jpg", ContentFile(b"jpeg"), save=False)
    photo.save()
    page = client.get(sub_event.get_absolute_url()).content.decode()
    assert og_image(page) == f"http://testserver{photo.web_image.url}"


def test_share_image_of_unpublished_event_is_404(client):
    event = factories.EventFactory(is_published=False)
    response = client.get(reverse("events:event_share_image", args=[event.slug]))
    assert response.status_code == 404


def test_event_page_offers_webcal_subscriptions_for_the_day_and_each_district(client):
    event = factories.EventFactory()
    east, west = factories.DistrictFactory(name="市南区"), factories.DistrictFactory(name="崂山区")
    factories.SubEventFactory(event=event, district=east)
    factories.SubEventFactory(event=event, district=west)
    page = client.get(event.get_absolute_url()).content.decode()
    feed = reverse("events:event_calendar", args=[event.slug])
    assert f'href="webcal://testserver{feed}"' in page
    for district in (east, west):
        url = reverse("events:district_calendar", args=[event.slug, district.slug])
        assert f'href="webcal://testserver{url}">{district.name}</a>' in page


def test_district_feed_holds_only_that_districts_activities(client):
    event = factories.EventFactory(title="开放日")
    east, west = factories.DistrictFactory(name="市南区"), factories.DistrictFactory()
    mine = factories.SubEventFactory(event=event, district=east, title="市南执法体验")
    factories.SubEventFactory(event=event, district=west, title="别处的活动")
    response = client.get(reverse("events:district_calendar", args=[event.slug, east.slug]))
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    assert [str(entry["summary"]) for entry in calendar.walk("VEVENT")] == [mine.title]
    assert str(calendar["x-wr-calname"]) == "开放日 · 市南区"
