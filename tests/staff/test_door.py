"""At the door without a ticket: finding people by phone digits or name, part of a party
arriving, walk-ins, and volunteers landing on their page after logging in."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from openday.registrations.models import Registration
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def today_activity(two_districts):
    activity = two_districts["own"]["subevent"]
    activity.starts_at = timezone.now() - dt.timedelta(minutes=10)
    activity.ends_at = activity.starts_at + dt.timedelta(hours=2)
    activity.capacity = 10
    activity.max_party_size = 4
    activity.save()
    Registration.objects.filter(sub_event=activity).delete()
    return activity


def checkin_page(client, activity, **params):
    return client.get(reverse("staff:checkin"), {"sub_event": activity.pk, **params})


def test_volunteer_lands_on_the_check_in_page_after_logging_in(client, volunteer):
    client.force_login(volunteer)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:checkin")


def test_organisers_still_land_on_the_admin(client, district_organiser):
    client.force_login(district_organiser)
    assert client.get(reverse("admin:index")).status_code == 200


def test_admin_front_page_still_asks_anonymous_visitors_to_log_in(client):
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_find_by_last_four_digits_shows_masked_people_of_this_activity(
    client, volunteer, today_activity, two_districts
):
    mine = factories.RegistrationFactory(
        sub_event=today_activity, name="张国强", phone="13912345678"
    )
    factories.RegistrationFactory(
        sub_event=two_districts["other"]["subevent"], name="李四", phone="13700005678"
    )
    client.force_login(volunteer)
    page = checkin_page(client, today_activity, find="5678").content.decode()
    assert "张*" in page and "139****5678" in page and mine.reference in page
    assert "张国强" not in page and "13912345678" not in page
    assert "137****5678" not in page


def test_find_by_name(client, volunteer, today_activity):
    factories.RegistrationFactory(sub_event=today_activity, name="张国强")
    factories.RegistrationFactory(sub_event=today_activity, name="王芳")
    client.force_login(volunteer)
    response = checkin_page(client, today_activity, find="国强")
    assert [person.name for person in response.context["found"]] == ["张国强"]


def test_part_of_a_party_checks_in(client, volunteer, today_activity):
    family = factories.RegistrationFactory(sub_event=today_activity, party_size=4)
    client.force_login(volunteer)
    page = checkin_page(client, today_activity, code=family.reference).content.decode()
    assert 'name="people"' in page
    client.post(
        reverse("staff:checkin"),
        {"sub_event": today_activity.pk, "reference": family.reference, "people": "3"},
    )
    family.refresh_from_db()
    assert family.checked_in_people == 3
    counter = client.get(reverse("staff:checkin_counter", args=[today_activity.pk])).json()
    assert counter == {"checked_in": 3, "expected": 4}


def test_walk_in_is_registered_and_checked_in_when_places_are_left(
    client, volunteer, today_activity
):
    client.force_login(volunteer)
    response = client.post(
        reverse("staff:walk_in", args=[today_activity.pk]),
        {"name": "赵大爷", "phone": "139 0000 1111", "party_size": "2"},
    )
    assert response.status_code == 302
    walk_in = Registration.objects.get(sub_event=today_activity)
    assert (walk_in.source, walk_in.status, walk_in.phone) == (
        "walk_in",
        "confirmed",
        "13900001111",
    )
    assert walk_in.checked_in_people == 2 and walk_in.created_by == volunteer


def test_walk_in_is_refused_when_full_even_with_a_waiting_list(client, volunteer, today_activity):
    today_activity.capacity = 1
    today_activity.waitlist_enabled = True
    today_activity.save()
    factories.RegistrationFactory(sub_event=today_activity)
    client.force_login(volunteer)
    response = client.post(
        reverse("staff:walk_in", args=[today_activity.pk]),
        {"name": "赵大爷", "phone": "13900001111", "party_size": "1"},
        follow=True,
    )
    assert Registration.objects.filter(sub_event=today_activity).count() == 1
    assert any(message.level_tag == "error" for message in response.context["messages"])


def test_walk_in_with_a_bad_phone_says_why_and_registers_nobody(client, volunteer, today_activity):
    client.force_login(volunteer)
    response = client.post(
        reverse("staff:walk_in", args=[today_activity.pk]),
        {"name": "赵大爷", "phone": "12345", "party_size": "1"},
        follow=True,
    )
    assert not Registration.objects.filter(sub_event=today_activity).exists()
    assert [message.level_tag for message in response.context["messages"]] == ["error"]


def test_walk_in_at_another_activity_is_not_found(client, volunteer, two_districts):
    client.force_login(volunteer)
    other = two_districts["other"]["subevent"]
    response = client.post(
        reverse("staff:walk_in", args=[other.pk]),
        {"name": "赵大爷", "phone": "13900001111", "party_size": "1"},
    )
    assert response.status_code == 404
