"""The staff check-in API: a manifest for door devices that go offline, and batches of
scans that count once however often they are sent."""

import datetime as dt
import json
import threading
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from openday.registrations.models import Registration
from openday.staff.models import CheckInScan
from tests import factories
from tests.conftest import requires_postgres

pytestmark = pytest.mark.django_db


def manifest_url(sub_event):
    return f"/api/v1/staff/subevents/{sub_event.pk}/checkin-manifest"


def checkins_url(sub_event):
    return f"/api/v1/staff/subevents/{sub_event.pk}/checkins"


def scan(reference, *, minutes_ago=5, people=None, scan_id=None):
    body = {
        "id": str(scan_id or uuid.uuid4()),
        "reference": reference,
        "at": (timezone.now() - dt.timedelta(minutes=minutes_ago)).isoformat(),
    }
    if people is not None:
        body["people"] = people
    return body


def send(client, sub_event, scans, device="door-1"):
    return client.post(
        checkins_url(sub_event),
        data=json.dumps({"device": device, "scans": scans}),
        content_type="application/json",
    )


@pytest.fixture
def door(two_districts):
    sub_event = two_districts["own"]["subevent"]
    sub_event.starts_at = timezone.now() - dt.timedelta(minutes=30)
    sub_event.ends_at = timezone.now() + dt.timedelta(hours=2)
    sub_event.save()
    Registration.objects.filter(sub_event=sub_event).delete()
    tickets = {
        "alone": factories.RegistrationFactory(sub_event=sub_event, name="王芳"),
        "family": factories.RegistrationFactory(sub_event=sub_event, name="欧阳娜娜", party_size=4),
        "cancelled": factories.RegistrationFactory(
            sub_event=sub_event, status=Registration.Status.CANCELLED
        ),
        "elsewhere": two_districts["other"]["registration"],
    }
    return sub_event, tickets


def test_manifest_lists_every_ticket_with_names_and_phones_masked(client, volunteer, door):
    sub_event, tickets = door
    client.force_login(volunteer)
    response = client.get(manifest_url(sub_event))
    assert response.status_code == 200
    body = response.json()
    assert body["sub_event"]["id"] == sub_event.pk
    by_reference = {ticket["reference"]: ticket for ticket in body["tickets"]}
    assert set(by_reference) == {
        tickets["alone"].reference,
        tickets["family"].reference,
        tickets["cancelled"].reference,
    }
    family = by_reference[tickets["family"].reference]
    assert (family["name"], family["party_size"], family["status"]) == ("欧***", 4, "confirmed")
    assert "*" in family["phone"] and tickets["family"].phone not in response.content.decode()
    assert "欧阳娜娜" not in response.content.decode()


def test_manifest_of_another_activity_is_forbidden(client, volunteer, two_districts):
    client.force_login(volunteer)
    response = client.get(manifest_url(two_districts["other"]["subevent"]))
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_manifest_needs_a_staff_login(client, door):
    sub_event, _tickets = door
    assert client.get(manifest_url(sub_event)).status_code == 403


def test_a_batch_checks_in_exactly_the_right_tickets(client, volunteer, door):
    sub_event, tickets = door
    client.force_login(volunteer)
    alone, family = tickets["alone"], tickets["family"]
    batch = [
        scan(alone.checkin_code, minutes_ago=9),
        scan(alone.reference, minutes_ago=8),
        scan(tickets["elsewhere"].reference, minutes_ago=7),
        scan(tickets["cancelled"].reference, minutes_ago=6),
        scan("ZZZZZZZZ", minutes_ago=5),
        scan(family.reference, minutes_ago=4, people=3),
    ]
    response = send(client, sub_event, batch)
    assert response.status_code == 200
    results = [result["result"] for result in response.json()["results"]]
    assert results == [
        "checked_in",
        "already_checked_in",
        "other_activity",
        "not_confirmed",
        "unknown",
        "checked_in",
    ]
    alone.refresh_from_db()
    family.refresh_from_db()
    assert alone.checked_in_device == "door-1"
    assert family.checked_in_people == 3
    checked_in = Registration.objects.filter(checked_in_at__isnull=False)
    assert set(checked_in) == {alone, family}
    assert alone.checked_in_at == dt.datetime.fromisoformat(batch[0]["at"])


def test_a_batch_sent_twice_gets_the_first_answers_and_changes_nothing(client, volunteer, door):
    sub_event, tickets = door
    client.force_login(volunteer)
    batch = [scan(tickets["alone"].reference), scan(tickets["family"].reference)]
    first = send(client, sub_event, batch).json()
    second = send(client, sub_event, batch).json()
    assert first == second
    assert [result["result"] for result in second["results"]] == ["checked_in"] * 2
    assert CheckInScan.objects.count() == 2


def test_two_doors_offline_first_scan_wins_and_both_learn_why(client, volunteer, door):
    sub_event, tickets = door
    client.force_login(volunteer)
    reference = tickets["alone"].reference
    first = send(client, sub_event, [scan(reference, minutes_ago=10)], device="door-1")
    second = send(client, sub_event, [scan(reference, minutes_ago=3)], device="door-2")
    assert first.json()["results"][0]["result"] == "checked_in"
    answer = second.json()["results"][0]
    assert (answer["result"], answer["device"]) == ("already_checked_in", "door-1")
    assert answer["checked_in_at"] == first.json()["results"][0]["checked_in_at"]
    # The first door learns it from its next manifest.
    ticket = next(
        ticket
        for ticket in client.get(manifest_url(sub_event)).json()["tickets"]
        if ticket["reference"] == reference
    )
    assert ticket["checked_in_device"] == "door-1"


def test_more_people_than_booked_let_the_party_in_not_more(client, volunteer, door):
    sub_event, tickets = door
    client.force_login(volunteer)
    send(client, sub_event, [scan(tickets["alone"].reference, people=5)])
    tickets["alone"].refresh_from_db()
    assert tickets["alone"].checked_in_people == 1


def test_a_scan_time_in_the_future_is_taken_as_now(client, volunteer, door):
    sub_event, tickets = door
    client.force_login(volunteer)
    send(client, sub_event, [scan(tickets["alone"].reference, minutes_ago=-600)])
    tickets["alone"].refresh_from_db()
    assert tickets["alone"].checked_in_at <= timezone.now()


def test_checkins_need_the_csrf_token(volunteer, door):
    sub_event, tickets = door
    client = Client(enforce_csrf_checks=True)
    client.force_login(volunteer)
    response = send(client, sub_event, [scan(tickets["alone"].reference)])
    assert response.status_code == 403
    assert not Registration.objects.filter(checked_in_at__isnull=False).exists()


def test_checkins_for_another_activity_are_forbidden(client, volunteer, two_districts):
    client.force_login(volunteer)
    other = two_districts["other"]
    response = send(client, other["subevent"], [scan(other["registration"].reference)])
    assert response.status_code == 403
    assert not Registration.objects.filter(checked_in_at__isnull=False).exists()


def test_a_malformed_scan_is_refused_with_422(client, volunteer, door):
    sub_event, _tickets = door
    client.force_login(volunteer)
    response = send(client, sub_event, [{"id": "not-a-uuid", "reference": "X", "at": "later"}])
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"scans.0.id", "scans.0.at"}


@requires_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_batch_from_two_connections_at_once_checks_in_once(volunteer, door):
    sub_event, tickets = door
    batch = [scan(ticket.reference) for ticket in (tickets["alone"], tickets["family"])]
    barrier = threading.Barrier(4)
    answers, errors = [], []

    def device():
        try:
            client = Client()
            client.force_login(volunteer)
            barrier.wait()
            answers.append(send(client, sub_event, batch).json())
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=device) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert all(answer == answers[0] for answer in answers)
    assert [result["result"] for result in answers[0]["results"]] == ["checked_in"] * 2
    assert CheckInScan.objects.count() == 2
