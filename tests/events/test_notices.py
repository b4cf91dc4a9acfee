"""Live notices: posted by staff on the day, shown at once at the top of the open day's
pages, or of one activity's pages and tickets."""

import pytest
from django.urls import reverse
from django.utils import translation

from openday.events.models import Notice
from openday.registrations import manage_link, services
from openday.registrations.models import Registration
from tests import factories
from tests.staff.conftest import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def activities():
    event = factories.EventFactory()
    drone = factories.SubEventFactory(event=event, title="无人机巡查演示")
    other = factories.SubEventFactory(event=event, title="法律进社区")
    return event, drone, other


def activity_url(sub_event):
    return sub_event.get_absolute_url()


def register_url(sub_event):
    return reverse(
        "events:register", kwargs={"event_slug": sub_event.event.slug, "pk": sub_event.pk}
    )


def test_activity_notice_shows_on_its_pages_and_its_tickets_only(client, activities):
    event, drone, other = activities
    Notice.objects.create(event=event, sub_event=drone, text="无人机巡查演示改到10:30")
    booking = services.registration_create(sub_event_id=drone.pk, name="王芳", phone="13800138000")
    assert "改到10:30" in client.get(activity_url(drone)).content.decode()
    assert "改到10:30" in client.get(register_url(drone)).content.decode()
    ticket = client.get(manage_link.path_for_token(booking.token))
    assert "改到10:30" in ticket.content.decode()
    assert "改到10:30" not in client.get(activity_url(other)).content.decode()
    assert "改到10:30" not in client.get(event.get_absolute_url()).content.decode()


def test_open_day_notice_shows_on_the_programme_and_every_activity(client, activities):
    event, drone, other = activities
    Notice.objects.create(event=event, text="因天气原因改在室内")
    for url in (event.get_absolute_url(), activity_url(drone), activity_url(other)):
        assert "因天气原因改在室内" in client.get(url).content.decode(), url


def test_a_notice_shows_at_once_on_a_cached_page(client, page_cache, activities):
    event, drone, _other = activities
    assert "改到10:30" not in client.get(activity_url(drone)).content.decode()
    notice = Notice.objects.create(event=event, sub_event=drone, text="改到10:30")
    assert "改到10:30" in client.get(activity_url(drone)).content.decode()
    notice.is_active = False
    notice.save()
    assert "改到10:30" not in client.get(activity_url(drone)).content.decode()


def test_district_organiser_posts_for_own_activities_only(client, django_user_model):
    from openday.staff import roles

    event = factories.EventFactory()
    own = factories.SubEventFactory(event=event)
    foreign = factories.SubEventFactory(event=event)
    user = make_staff(
        django_user_model, "district", roles.DISTRICT_ORGANISER, districts=[own.district]
    )
    client.force_login(user)
    url = reverse("admin:events_notice_add")
    data = {"event": event.pk, "text": "改在室内", "is_active": "on"}
    # A notice for the whole open day is the city's to post.
    assert client.post(url, data).status_code == 200
    assert client.post(url, {**data, "sub_event": foreign.pk}).status_code == 200
    assert not Notice.objects.exists()
    assert client.post(url, {**data, "sub_event": own.pk}).status_code == 302
    notice = Notice.objects.get()
    assert (notice.sub_event, notice.created_by) == (own, user)


def test_notice_for_an_activity_of_another_open_day_is_refused(admin_client, activities):
    event, drone, _other = activities
    elsewhere = factories.EventFactory()
    response = admin_client.post(
        reverse("admin:events_notice_add"),
        {"event": elsewhere.pk, "sub_event": drone.pk, "text": "x", "is_active": "on"},
    )
    assert response.status_code == 200
    assert not Notice.objects.exists()


def test_waitlisted_ticket_shows_its_place_in_the_queue(client, activities):
    _event, drone, _other = activities
    drone.capacity = 1
    drone.waitlist_enabled = True
    drone.save()
    services.registration_create(sub_event_id=drone.pk, name="甲", phone="13800000001")
    services.registration_create(sub_event_id=drone.pk, name="乙", phone="13800000002")
    third = services.registration_create(sub_event_id=drone.pk, name="丙", phone="13800000003")
    assert third.registration.status == Registration.Status.WAITLISTED
    with translation.override("en"):
        page = client.get(manage_link.path_for_token(third.token))
    assert "You are number <strong>2</strong> on the waiting list." in page.content.decode()
