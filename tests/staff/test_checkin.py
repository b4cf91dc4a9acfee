import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from openday.registrations.models import Registration, RegistrationLog
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def today_activity(two_districts):
    activity = two_districts["own"]["subevent"]
    activity.starts_at = timezone.now()
    activity.ends_at = activity.starts_at + dt.timedelta(hours=2)
    activity.save()
    return activity


def lookup(client, activity, code):
    return client.get(reverse("staff:checkin"), {"sub_event": activity.pk, "code": code})


def test_checkin_anonymous_is_redirected_to_login(client):
    response = client.get(reverse("staff:checkin"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_checkin_staff_without_permission_is_forbidden(client, django_user_model):
    user = django_user_model.objects.create_user("nobody", password="x", is_staff=True)
    client.force_login(user)
    assert client.get(reverse("staff:checkin")).status_code == 403


def test_checkin_typed_reference_shows_party_and_checks_in(client, volunteer, today_activity):
    registration = factories.RegistrationFactory(sub_event=today_activity, party_size=3)
    client.force_login(volunteer)
    page = lookup(client, today_activity, registration.reference.lower()).content.decode()
    assert registration.name in page
    assert registration.masked_phone in page
    assert registration.phone not in page
    response = client.post(
        reverse("staff:checkin"),
        {"sub_event": today_activity.pk, "reference": registration.reference},
        follow=True,
    )
    assert response.status_code == 200
    registration.refresh_from_db()
    assert registration.checked_in_at is not None
    entry = RegistrationLog.objects.get(registration=registration)
    assert (entry.action, entry.actor) == ("checked_in", volunteer)
    assert "3" in response.content.decode()


def test_checkin_scanned_code_finds_registration(client, volunteer, today_activity):
    registration = factories.RegistrationFactory(sub_event=today_activity)
    client.force_login(volunteer)
    page = lookup(client, today_activity, registration.checkin_code).content.decode()
    assert registration.name in page
    assert "checkin-button" in page


def test_checkin_twice_says_when(client, volunteer, today_activity):
    registration = factories.RegistrationFactory(sub_event=today_activity)
    client.force_login(volunteer)
    client.post(
        reverse("staff:checkin"),
        {"sub_event": today_activity.pk, "reference": registration.reference},
    )
    registration.refresh_from_db()
    first = registration.checked_in_at
    page = lookup(client, today_activity, registration.reference).content.decode()
    assert timezone.localtime(first).strftime("%H:%M") in page
    assert "checkin-button" not in page
    client.post(
        reverse("staff:checkin"),
        {"sub_event": today_activity.pk, "reference": registration.reference},
    )
    registration.refresh_from_db()
    assert registration.checked_in_at == first


@pytest.mark.parametrize("status", [Registration.Status.CANCELLED, Registration.Status.WAITLISTED])
def test_checkin_not_confirmed_is_refused(client, volunteer, today_activity, status):
    registration = factories.RegistrationFactory(sub_event=today_activity, status=status)
    client.force_login(volunteer)
    page = lookup(client, today_activity, registration.reference).content.decode()
    assert "checkin-refusal" in page
    assert "checkin-button" not in page
    client.post(
        reverse("staff:checkin"),
        {"sub_event": today_activity.pk, "reference": registration.reference},
    )
    registration.refresh_from_db()
    assert registration.checked_in_at is None


def test_checkin_wrong_day_is_refused(client, volunteer, two_districts):
    activity = two_districts["own"]["subevent"]  # in three days
    registration = factories.RegistrationFactory(sub_event=activity)
    client.force_login(volunteer)
    page = lookup(client, activity, registration.reference).content.decode()
    assert "checkin-refusal" in page
    registration.refresh_from_db()
    assert registration.checked_in_at is None


def test_checkin_other_activity_ticket_is_refused_without_personal_data(
    client, volunteer, today_activity, two_districts
):
    other = two_districts["other"]["registration"]
    client.force_login(volunteer)
    page = lookup(client, today_activity, other.reference).content.decode()
    assert "checkin-refusal" in page
    assert "checkin-name" not in page
    assert other.masked_phone not in page


def test_checkin_volunteer_cannot_open_unassigned_activity(client, volunteer, two_districts):
    client.force_login(volunteer)
    response = client.get(
        reverse("staff:checkin"), {"sub_event": two_districts["other"]["subevent"].pk}
    )
    assert response.status_code == 404


def test_checkin_unknown_reference_is_explained(client, volunteer, today_activity):
    client.force_login(volunteer)
    page = lookup(client, today_activity, "<script>").content.decode()
    assert "checkin-refusal" in page
    assert "<script>alert" not in page


def test_checkin_counter_counts_people(client, volunteer, today_activity):
    factories.RegistrationFactory(sub_event=today_activity, party_size=2)
    factories.RegistrationFactory(
        sub_event=today_activity, party_size=3, checked_in_at=timezone.now()
    )
    client.force_login(volunteer)
    response = client.get(reverse("staff:checkin_counter", args=[today_activity.pk]))
    assert response.json() == {"checked_in": 3, "expected": 6}
