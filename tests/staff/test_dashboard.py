import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests import factories

pytestmark = pytest.mark.django_db


def test_dashboard_anonymous_is_redirected(client):
    assert client.get(reverse("staff:dashboard")).status_code == 302


def test_dashboard_volunteer_is_forbidden(client, volunteer):
    client.force_login(volunteer)
    assert client.get(reverse("staff:dashboard")).status_code == 403


def test_dashboard_shows_figures_of_own_district_only(client, district_organiser, two_districts):
    own = two_districts["own"]["subevent"]
    factories.RegistrationFactory(sub_event=own, party_size=3, checked_in_at=timezone.now())
    client.force_login(district_organiser)
    response = client.get(reverse("staff:dashboard"), {"event": own.event.pk})
    assert response.status_code == 200
    page = response.content.decode()
    assert own.title in page
    assert two_districts["own"]["district"].name in page
    assert two_districts["other"]["subevent"].title not in page
    report = response.context["report"]
    assert (report.total.confirmed, report.total.capacity, report.total.checked_in) == (4, 10, 3)
    assert report.total.fill_rate == 40
    assert "<svg" in page


def test_dashboard_csv_downloads_the_numbers(client, city_organiser, two_districts):
    event = two_districts["own"]["subevent"].event
    client.force_login(city_organiser)
    response = client.get(reverse("staff:dashboard_csv"), {"event": event.pk})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert two_districts["own"]["district"].name in body
    assert response["Content-Type"].startswith("text/csv")


def test_dashboard_queries_do_not_grow_with_activities(client, city_organiser):
    event = factories.EventFactory()
    factories.RegistrationFactory(sub_event=factories.SubEventFactory(event=event))
    factories.FeedbackFactory(event=event)
    client.force_login(city_organiser)
    url = reverse("staff:dashboard")
    client.get(url, {"event": event.pk})
    with CaptureQueriesContext(connection) as few:
        client.get(url, {"event": event.pk})
    for _ in range(3):
        activity = factories.SubEventFactory(event=event)
        factories.InvitationFactory(sub_event=activity)
        factories.RegistrationFactory(sub_event=activity)
    with CaptureQueriesContext(connection) as many:
        client.get(url, {"event": event.pk})
    assert len(many) == len(few)


def test_dashboard_for_one_district_narrows_figures(client, city_organiser, two_districts):
    own = two_districts["own"]
    client.force_login(city_organiser)
    response = client.get(
        reverse("staff:dashboard"),
        {"event": own["subevent"].event.pk, "district": own["district"].pk},
    )
    report = response.context["report"]
    assert [line.name for line in report.sub_events] == [own["subevent"].title]
    assert report.total.confirmed == 1


def test_dashboard_other_district_by_id_is_not_found(client, district_organiser, two_districts):
    client.force_login(district_organiser)
    response = client.get(
        reverse("staff:dashboard"), {"district": two_districts["other"]["district"].pk}
    )
    assert response.status_code == 404
