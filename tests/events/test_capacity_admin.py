"""Capacity and the waiting list in the admin: staff cannot set fewer places than are
confirmed (on the activity's page and in the open day's list of activities), and places
that open move the waiting list at once."""

import pytest
from django.urls import reverse

from openday.registrations import services
from openday.registrations.models import Registration, RegistrationLog
from tests import factories
from tests.admin_pages import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(english):
    pass


def book(sub_event, phone, party_size=1):
    return services.registration_create(
        sub_event_id=sub_event.pk, name="李雷", phone=phone, party_size=party_size
    ).registration


def change_activity(client, sub_event, **changes):
    url = reverse("admin:events_subevent_change", args=[sub_event.pk])
    data = form_data(client.get(url).content.decode(), "subevent_form", **changes)
    return client.post(url, data)


def change_in_open_day(client, sub_event, capacity):
    url = reverse("admin:events_event_change", args=[sub_event.event_id])
    page = client.get(url).content.decode()
    data = form_data(page, "event_form")
    row = next(
        name for name, value in data.items() if value == str(sub_event.pk) and name.endswith("-id")
    )
    data[row.replace("-id", "-capacity")] = str(capacity)
    return client.post(url, data)


@pytest.mark.parametrize("change", ["activity_page", "open_day_inline"])
def test_capacity_below_the_confirmed_places_is_refused(admin_client, change):
    sub_event = factories.SubEventFactory(capacity=5, max_party_size=3)
    book(sub_event, "13800138000", party_size=3)
    if change == "activity_page":
        response = change_activity(admin_client, sub_event, capacity="2")
    else:
        response = change_in_open_day(admin_client, sub_event, 2)
    assert response.status_code == 200
    assert "3 places are already confirmed for this activity" in response.content.decode()
    sub_event.refresh_from_db()
    assert sub_event.capacity == 5


def test_service_refuses_the_same_capacity(sub_event):
    book(sub_event, "13800138000")
    from django.db import transaction

    with transaction.atomic(), pytest.raises(services.CapacityBelowConfirmed) as refusal:
        services.sub_event_capacity_check(sub_event_id=sub_event.pk, capacity=0)
    assert refusal.value.code == "capacity_below_confirmed"


@pytest.mark.parametrize("change", ["activity_page", "open_day_inline"])
def test_more_capacity_moves_the_waiting_list_at_once(
    admin_client, superuser, change, django_capture_on_commit_callbacks
):
    sub_event = factories.SubEventFactory(capacity=1)
    book(sub_event, "13800138000")
    waiting = book(sub_event, "13900139000")
    assert waiting.status == "waitlisted"
    with django_capture_on_commit_callbacks(execute=True):
        if change == "activity_page":
            response = change_activity(admin_client, sub_event, capacity="2")
        else:
            response = change_in_open_day(admin_client, sub_event, 2)
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == "confirmed"
    entry = RegistrationLog.objects.get(registration=waiting, action="promoted")
    assert (entry.actor_kind, entry.actor) == ("staff", superuser)


def test_fewer_invitation_seats_move_the_waiting_list_at_once(
    admin_client, django_capture_on_commit_callbacks
):
    sub_event = factories.SubEventFactory(capacity=3)
    invitation = factories.InvitationFactory(sub_event=sub_event, seats=2)
    book(sub_event, "13800138000")
    waiting = book(sub_event, "13900139000")
    assert waiting.status == "waitlisted"
    url = reverse("admin:events_invitation_change", args=[invitation.pk])
    data = form_data(admin_client.get(url).content.decode(), "invitation_form", seats="1")
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(url, data).status_code == 302
    assert Registration.objects.get(pk=waiting.pk).status == "confirmed"
