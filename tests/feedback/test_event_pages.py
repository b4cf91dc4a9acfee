"""The gallery and the way to the suggestion form on the public event and activity pages,
and the survey link on the manage page."""

import datetime as dt

import pytest
from django.utils import timezone

from openday.registrations import services
from tests.feedback.test_templatetags import add_photos

pytestmark = pytest.mark.django_db


def test_event_page_shows_its_photos_and_the_suggestion_link(client, sub_event):
    add_photos(sub_event.event, 2, caption="无人机巡查演示")
    html = client.get(sub_event.event.get_absolute_url()).content.decode()
    assert 'alt="无人机巡查演示"' in html
    assert f"/feedback/{sub_event.event.slug}/" in html


def test_subevent_page_shows_its_own_photos(client, sub_event):
    add_photos(sub_event.event, 1, sub_event=sub_event, caption="执法体验合影")
    add_photos(sub_event.event, 1, caption="主会场全景")
    html = client.get(sub_event.get_absolute_url()).content.decode()
    assert 'alt="执法体验合影"' in html
    assert "主会场全景" not in html


def test_manage_page_offers_the_survey_once_checked_in(client, sub_event):
    booking = services.registration_create(
        sub_event_id=sub_event.pk, name="王芳", phone="13800138000"
    )
    page = booking.manage_url
    assert "/survey/" not in client.get(page).content.decode()
    booking.registration.checked_in_at = timezone.now() - dt.timedelta(minutes=5)
    booking.registration.save()
    assert f"/r/{booking.token}/survey/" in client.get(page).content.decode()
