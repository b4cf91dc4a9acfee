import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from openday.feedback.photos import photos_create
from tests import factories
from tests.feedback import images

pytestmark = pytest.mark.django_db


def report_url(event, district=None):
    if district is not None:
        return reverse(
            "feedback:district_report",
            kwargs={"event_slug": event.slug, "district_slug": district.slug},
        )
    return reverse("feedback:report", kwargs={"event_slug": event.slug})


def finished(event, district, capacity):
    start = timezone.now() - dt.timedelta(days=1)
    return factories.SubEventFactory(
        event=event,
        district=district,
        capacity=capacity,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
    )


@pytest.fixture
def open_day():
    event = factories.EventFactory()
    east = factories.DistrictFactory(slug="east", name="东区")
    west = factories.DistrictFactory(slug="west", name="西区")
    past = finished(event, east, capacity=10)
    coming = factories.SubEventFactory(event=event, district=west, capacity=20)
    factories.SubEventFactory(event=event, district=west, capacity=50, is_cancelled=True)
    now = timezone.now()
    for party, came in [(2, True), (1, True), (1, False)]:
        factories.RegistrationFactory(
            sub_event=past, party_size=party, checked_in_at=now if came else None
        )
    factories.RegistrationFactory(sub_event=coming, party_size=3)
    factories.RegistrationFactory(sub_event=coming, status="cancelled")
    for rating in (5, 5, 4, 2):
        factories.FeedbackFactory(event=event, district=east, rating=rating, category="survey")
    factories.FeedbackFactory(
        event=event, district=west, rating=None, public_reply="已答复", replied_at=now
    )
    return event, east, west


def test_report_figures_for_the_open_day(client, open_day):
    event, east, west = open_day
    response = client.get(report_url(event))
    assert response.status_code == 200
    report = response.context["report"]
    assert (report.sub_events, report.places) == (2, 30)
    assert (report.registrations, report.people_registered, report.people_attended) == (4, 7, 3)
    assert report.attendance_percent == 75
    assert [(bar.label, bar.value) for bar in report.ratings] == [
        ("5", 2),
        ("4", 1),
        ("3", 0),
        ("2", 1),
        ("1", 0),
    ]
    assert report.rating_average == 4.0
    assert (report.suggestions_received, report.suggestions_answered) == (1, 1)
    by_district = {
        row.district.slug: (row.places, row.registered, row.attended) for row in report.districts
    }
    assert by_district == {"east": (10, 4, 3), "west": (20, 3, 0)}
    assert 'class="report-bar-fill" width="40"' in response.text
    assert "style=" not in response.text


def test_report_for_one_district(client, open_day):
    event, east, west = open_day
    response = client.get(report_url(event, east))
    assert response.status_code == 200
    report = response.context["report"]
    assert (report.sub_events, report.places, report.people_registered) == (1, 10, 4)
    assert report.rating_count == 4
    assert report.suggestions_received == 0
    assert "东区" in response.text


def test_report_unknown_district_is_404(client, open_day):
    event, *_ = open_day
    url = reverse(
        "feedback:district_report", kwargs={"event_slug": event.slug, "district_slug": "nowhere"}
    )
    assert client.get(url).status_code == 404


def test_report_without_data_renders(client):
    event = factories.EventFactory()
    response = client.get(report_url(event))
    assert response.status_code == 200
    assert "No ratings yet." in response.text


def test_report_shows_featured_photos(client, open_day):
    event, *_ = open_day
    upload = SimpleUploadedFile("a.jpg", images.jpeg_bytes(), "image/jpeg")
    (photo,) = photos_create(event=event, uploads=[upload], caption="现场合影")
    photos_create(
        event=event,
        uploads=[SimpleUploadedFile("b.jpg", images.jpeg_bytes(), "image/jpeg")],
        caption="未选中的照片",
    )
    photo.is_featured = True
    photo.save()
    response = client.get(report_url(event))
    assert 'alt="现场合影"' in response.text
    assert "未选中的照片" not in response.text


def test_report_queries_do_not_grow_with_rows(client, open_day):
    event, east, west = open_day
    client.get(report_url(event))
    with CaptureQueriesContext(connection) as few:
        client.get(report_url(event))
    for n in range(3):
        district = factories.DistrictFactory()
        sub_event = finished(event, district, capacity=5)
        factories.RegistrationFactory(sub_event=sub_event, checked_in_at=timezone.now())
        factories.FeedbackFactory(event=event, district=district, rating=n + 1)
    with CaptureQueriesContext(connection) as many:
        response = client.get(report_url(event))
    assert len(response.context["report"].districts) == 5
    assert len(many) == len(few)
