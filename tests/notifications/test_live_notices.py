"""A live notice posted by staff reaches the registrants it concerns through the
notification layer: once per notice and registration, at any hour."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from openday.events.models import Notice
from openday.notifications.models import Notification
from tests import factories

pytestmark = pytest.mark.django_db

ADD = "admin:events_notice_add"


def post_notice(admin_client, committed, **data):
    data = {"is_active": "on", **data}
    with committed():
        response = admin_client.post(reverse(ADD), data, follow=True)
    assert response.status_code == 200
    return response


@pytest.fixture
def day(book):
    event = factories.EventFactory()
    drone = factories.SubEventFactory(event=event, title="无人机巡查演示")
    forum = factories.SubEventFactory(event=event, title="城管与您面对面")
    book(drone, "13800138001", email="a@example.com")
    book(drone, "13800138002")
    cancelled = book(drone, "13800138003").registration
    cancelled.status = "cancelled"
    cancelled.save()
    book(forum, "13800138004")
    over = factories.SubEventFactory(
        event=event,
        starts_at=timezone.now() - dt.timedelta(hours=3),
        ends_at=timezone.now() - dt.timedelta(hours=1),
    )
    factories.RegistrationFactory(sub_event=over, phone="13800138005")
    elsewhere = factories.SubEventFactory()
    book(elsewhere, "13800138006")
    mail.outbox.clear()
    return event, drone, forum


def test_an_activity_notice_reaches_its_active_registrants_once(
    admin_client, committed, sms_outbox, day
):
    event, drone, _forum = day
    sms_outbox.clear()
    text = "无人机巡查演示因风力原因改到10:30，请在东门集合，带好身份证件"
    page = post_notice(admin_client, committed, event=event.pk, sub_event=drone.pk, text=text)
    assert "现场通知正在发送给 2 个报名" in page.content.decode()
    assert sorted((m.kind, m.phone) for m in sms_outbox) == [
        ("live_notice", "13800138001"),
        ("live_notice", "13800138002"),
    ]
    assert sms_outbox[0].named_params == {"activity": "无人机巡查演示", "notice": text[:19] + "…"}
    # The e-mail carries the whole notice.
    assert [m.to for m in mail.outbox] == [["a@example.com"]]
    assert text in mail.outbox[0].body


def test_saving_hiding_and_showing_a_notice_again_sends_nothing_more(
    admin_client, committed, sms_outbox, day
):
    event, drone, _forum = day
    post_notice(admin_client, committed, event=event.pk, sub_event=drone.pk, text="改到10:30")
    notice = Notice.objects.get()
    url = reverse("admin:events_notice_change", args=[notice.pk])
    base = {"event": event.pk, "sub_event": drone.pk}
    with committed():
        admin_client.post(url, {**base, "text": "改到10:45", "is_active": "on"})
        admin_client.post(url, {**base, "text": "改到10:45"})
        admin_client.post(url, {**base, "text": "改到10:45", "is_active": "on"})
    assert len(sms_outbox) == 2  # the notice, to each registrant once
    page = admin_client.get(url).content.decode()
    assert "已发送 3 条，等待 0 条，失败 0 条" in page  # two texts and one e-mail


def test_an_open_day_notice_reaches_every_activity_of_the_day_not_yet_over(
    admin_client, committed, sms_outbox, day
):
    event, _drone, _forum = day
    sms_outbox.clear()
    post_notice(admin_client, committed, event=event.pk, text="因天气原因改在室内")
    assert sorted(m.phone for m in sms_outbox) == ["13800138001", "13800138002", "13800138004"]
    assert {m.named_params["activity"] for m in sms_outbox} == {event.title[:20]}


def test_a_notice_goes_out_at_night(admin_client, committed, sms_outbox, settings, day):
    event, drone, _forum = day
    hour = timezone.localtime().hour
    settings.OPENDAY_QUIET_HOURS_START = hour
    settings.OPENDAY_QUIET_HOURS_END = (hour + 2) % 24
    settings.OPENDAY_SMS_BUDGET_HOUR = 1
    sms_outbox.clear()
    post_notice(admin_client, committed, event=event.pk, sub_event=drone.pk, text="改在室内")
    assert len(sms_outbox) == 2
    assert not Notification.objects.waiting().filter(kind="live_notice").exists()


def test_the_message_page_offers_a_notice_for_its_activity(admin_client, day):
    _event, drone, _forum = day
    page = admin_client.get(reverse("staff:message", args=[drone.pk])).content.decode()
    assert f"{reverse(ADD)}?event={drone.event_id}&amp;sub_event={drone.pk}" in page
