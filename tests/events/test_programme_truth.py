"""What the programme offers is what exists: days with activities, and a main venue
that is for invited guests only says so."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories

pytestmark = pytest.mark.django_db


def day_options(page: str) -> list[str]:
    select = re.search(r'<select name="day"[^>]*>(.*?)</select>', page, re.S).group(1)
    return re.findall(r'<option value="([^"]*)"', select)


def test_day_filter_offers_only_days_with_activities(client):
    today = timezone.localdate()
    event = factories.EventFactory(starts_on=today, ends_on=today + dt.timedelta(days=6))
    noon = dt.datetime.combine(today, dt.time(12), tzinfo=timezone.get_current_timezone())
    for days in (1, 4):
        factories.SubEventFactory(event=event, starts_at=noon + dt.timedelta(days=days))
    factories.SubEventFactory(
        event=event, starts_at=noon + dt.timedelta(days=5), is_published=False
    )
    page = client.get(reverse("events:event", args=[event.slug])).content.decode()
    assert day_options(page) == [
        "",
        (today + dt.timedelta(days=1)).isoformat(),
        (today + dt.timedelta(days=4)).isoformat(),
    ]


def test_main_venue_for_invited_guests_only_says_so(client):
    main = factories.SubEventFactory(is_main_venue=True, capacity=100)
    for _ in range(5):
        factories.InvitationFactory(sub_event=main, seats=20)
    programme = client.get(reverse("events:programme")).content.decode()
    card = programme.split('class="main-venue', 1)[1].split("</section>", 1)[0]
    assert "仅限受邀嘉宾" in card
    assert "剩余" not in card
    detail = client.get(main.get_absolute_url()).content.decode()
    assert "100个名额，仅限受邀嘉宾" in detail
    assert "剩余0" not in detail
