import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests import factories

pytestmark = pytest.mark.django_db


def answered(event, **kwargs):
    return factories.FeedbackFactory(
        event=event,
        public_reply=kwargs.pop("public_reply", "已经转交相关部门办理。"),
        replied_at=timezone.now(),
        is_published=kwargs.pop("is_published", True),
        status="answered",
        **kwargs,
    )


def heard_url(event, query=""):
    return reverse("feedback:heard", kwargs={"event_slug": event.slug}) + query


def test_heard_shows_only_published_answers_and_counts(client):
    event = factories.EventFactory()
    answered(event, text="公开的建议")
    answered(event, text="答复了但未公开", is_published=False)
    factories.FeedbackFactory(event=event, text="尚未答复的建议")
    factories.FeedbackFactory(event=event, text="问卷", category="survey")
    response = client.get(heard_url(event))
    assert response.status_code == 200
    assert "公开的建议" in response.text and "已经转交相关部门办理。" in response.text
    assert "答复了但未公开" not in response.text and "尚未答复的建议" not in response.text
    assert response.context["counts"] == {"received": 3, "answered": 2}


def test_heard_hides_contact_details(client):
    event = factories.EventFactory()
    answered(event, contact_name="张三", contact_phone="13800138000", contact_consent=True)
    response = client.get(heard_url(event))
    assert "张三" not in response.text and "13800138000" not in response.text


def test_heard_escapes_html(client):
    event = factories.EventFactory()
    answered(event, text='<script>alert("x")</script><b>粗体</b>')
    response = client.get(heard_url(event))
    assert "<script>alert" not in response.text
    assert "&lt;script&gt;alert" in response.text


def test_heard_filters_by_district_and_category(client):
    event = factories.EventFactory()
    east = factories.DistrictFactory(slug="east")
    west = factories.DistrictFactory(slug="west")
    answered(event, district=east, category="complaint", text="东区投诉")
    answered(event, district=east, category="praise", text="东区表扬")
    answered(event, district=west, category="complaint", text="西区投诉")
    response = client.get(heard_url(event, "?district=east&category=complaint"))
    assert "东区投诉" in response.text
    assert "东区表扬" not in response.text and "西区投诉" not in response.text
    assert response.context["counts"] == {"received": 1, "answered": 1}


def test_heard_unknown_filter_shows_everything_with_message(client):
    event = factories.EventFactory()
    answered(event, text="所有建议")
    response = client.get(heard_url(event, "?district=atlantis&category=%3Cb%3E"))
    assert response.status_code == 200
    assert "That filter is not available" in response.text
    assert "所有建议" in response.text


def test_heard_bad_page_number_shows_a_page(client):
    event = factories.EventFactory()
    answered(event, text="第一页")
    response = client.get(heard_url(event, "?page=abc"))
    assert response.status_code == 200 and "第一页" in response.text


def test_heard_unpublished_event_is_404(client):
    event = factories.EventFactory(is_published=False)
    assert client.get(heard_url(event)).status_code == 404


def test_heard_queries_do_not_grow_with_rows(client):
    event = factories.EventFactory()
    sub_event = factories.SubEventFactory(event=event)
    answered(event, district=sub_event.district, sub_event=sub_event)
    client.get(heard_url(event))
    with CaptureQueriesContext(connection) as few:
        client.get(heard_url(event))
    for _ in range(3):
        answered(
            event,
            district=factories.DistrictFactory(),
            sub_event=factories.SubEventFactory(event=event),
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(heard_url(event))
    assert len(response.context["page"]) == 4
    assert len(many) == len(few)
