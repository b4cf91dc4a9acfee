"""The ticket tells the truth after the fact: no code to show at the entrance once it can
no longer let anyone in."""

import datetime as dt

import pytest
from django.utils import timezone

from openday.registrations import services
from tests import factories

pytestmark = pytest.mark.django_db

SHOW_CODE = "入场时请出示此二维码或报名编号。"


def ticket(client, booking) -> str:
    return client.get(booking.manage_url).content.decode()


def test_valid_ticket_shows_the_code(client, book):
    page = ticket(client, book(factories.SubEventFactory()))
    assert "<svg" in page
    assert SHOW_CODE in page


def test_checked_in_ticket_says_when_and_shows_no_code(client, book):
    booking = book(factories.SubEventFactory())
    at = timezone.now().replace(hour=1, minute=35) - dt.timedelta(days=1)  # 09:35 in Shanghai
    services.registration_check_in(registration=booking.registration, at=at)
    page = ticket(client, booking)
    assert "已签到" in page
    assert "09:35" in page
    assert "<svg" not in page
    assert SHOW_CODE not in page


def test_ticket_of_an_activity_that_is_over_says_so(client, book):
    sub_event = factories.SubEventFactory()
    booking = book(sub_event)
    sub_event.starts_at = timezone.now() - dt.timedelta(hours=3)
    sub_event.ends_at = timezone.now() - dt.timedelta(hours=1)
    sub_event.save()
    page = ticket(client, booking)
    assert "活动已结束" in page
    assert "<svg" not in page


def test_ticket_of_an_activity_the_organiser_cancelled_says_so(client, book):
    sub_event = factories.SubEventFactory()
    booking = book(sub_event)
    sub_event.is_cancelled = True
    sub_event.cancellation_reason = "因台风取消。"
    sub_event.save()
    page = ticket(client, booking)
    assert "主办方已取消此活动" in page
    assert "因台风取消。" in page
    assert "<svg" not in page
    assert SHOW_CODE not in page


def test_cancelled_registration_says_it_lets_nobody_in(client, book):
    booking = book(factories.SubEventFactory())
    services.registration_cancel(registration=booking.registration)
    page = ticket(client, booking)
    assert "此报名已取消" in page
    assert "<svg" not in page
    assert "名额已转给他人" not in page
