"""The booking rules under a real rush: many threads, each with its own PostgreSQL
connection, booking and cancelling at the same moment. Each test checks the totals left in
the database afterwards."""

import datetime as dt
import queue
import threading
from collections import Counter

import pytest
from django.db import connection
from django.db.models import Sum

from openday.registrations import services
from openday.registrations.models import Registration
from tests.conftest import requires_postgres
from tests.factories import InvitationFactory, RegistrationFactory, SubEventFactory

pytestmark = [requires_postgres, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


# Connections each test opens at most: the PostgreSQL server is shared, and its
# connection limit is far below one connection per attempt.
THREADS = 20


def run_at_once(calls, threads=THREADS):
    """Run the callables on `threads` threads, each with its own database connection,
    released together and taking calls from one queue; return what each call returned or
    the code of the BookingError it raised. Any other exception fails the test."""
    threads = min(threads, len(calls))
    barrier = threading.Barrier(threads)
    pending = queue.SimpleQueue()
    for index, call in enumerate(calls):
        pending.put((index, call))
    results = [None] * len(calls)
    unexpected = []

    def worker():
        try:
            barrier.wait()
            while True:
                try:
                    index, call = pending.get_nowait()
                except queue.Empty:
                    return
                try:
                    results[index] = call()
                except services.BookingError as error:
                    results[index] = error.code
                except Exception as error:  # noqa: BLE001 - reported below
                    unexpected.append((index, repr(error)))
        finally:
            connection.close()

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    assert unexpected == []
    return results


def booking(sub_event, phone, party_size=1, invitation_code=""):
    def call():
        result = services.registration_create(
            sub_event_id=sub_event.pk,
            name="王芳",
            phone=phone,
            party_size=party_size,
            invitation_code=invitation_code,
        )
        return result.registration.status

    return call


def places(sub_event, **filters):
    confirmed = Registration.objects.filter(sub_event=sub_event, status="confirmed", **filters)
    return confirmed.aggregate(total=Sum("party_size"))["total"] or 0


def test_rush_of_200_mixed_parties_fills_50_places_exactly():
    sub_event = SubEventFactory(capacity=50, max_party_size=3)
    calls = [booking(sub_event, f"139{i:08d}", party_size=i % 3 + 1) for i in range(200)]
    results = run_at_once(calls)
    assert places(sub_event) == 50
    assert Counter(results)["confirmed"] == Registration.objects.confirmed().count()
    assert Registration.objects.filter(sub_event=sub_event).count() == 200
    left = 50 - places(sub_event)
    # Every party on the waiting list is one that did not fit when it came.
    assert not Registration.objects.waitlisted().filter(party_size__lte=left).exists()


def test_rush_without_waitlist_refuses_the_rest_as_full():
    sub_event = SubEventFactory(capacity=50, max_party_size=3, waitlist_enabled=False)
    calls = [booking(sub_event, f"139{i:08d}", party_size=i % 3 + 1) for i in range(200)]
    results = run_at_once(calls)
    counts = Counter(results)
    assert set(counts) == {"confirmed", "full"}
    assert places(sub_event) == 50
    assert Registration.objects.count() == counts["confirmed"]


def test_the_same_phone_twice_at_once_books_once():
    sub_event = SubEventFactory(capacity=50)
    results = run_at_once([booking(sub_event, "13800138000") for _ in range(10)])
    assert Counter(results) == {"confirmed": 1, "duplicate": 9}
    assert Registration.objects.filter(phone="13800138000").count() == 1


def test_cancel_racing_a_booking_promotes_the_waiting_list_in_order():
    for round_ in range(5):
        sub_event = SubEventFactory(capacity=2)
        leaving = RegistrationFactory(sub_event=sub_event, phone="13700000001")
        RegistrationFactory(sub_event=sub_event, phone="13700000002")
        first_waiting = RegistrationFactory(
            sub_event=sub_event, phone="13700000003", status="waitlisted"
        )

        def cancel(leaving=leaving):
            return len(services.registration_cancel(registration=leaving))

        # A new number each round: the activities are all at the same hour.
        newcomer_phone = f"1370000{round_}004"
        run_at_once([cancel, booking(sub_event, newcomer_phone)])
        first_waiting.refresh_from_db()
        newcomer = Registration.objects.get(sub_event=sub_event, phone=newcomer_phone)
        assert places(sub_event) == 2
        assert (first_waiting.status, newcomer.status) == ("confirmed", "waitlisted")


def test_invitation_seats_hold_under_a_public_rush():
    sub_event = SubEventFactory(capacity=20, max_party_size=1, waitlist_enabled=False)
    invitation = InvitationFactory(sub_event=sub_event, seats=5)
    public = [booking(sub_event, f"139{i:08d}") for i in range(100)]
    invited = [booking(sub_event, f"136{i:08d}", invitation_code=invitation.code) for i in range(6)]
    results = run_at_once(public + invited)
    assert places(sub_event, invitation__isnull=True) == 15
    assert places(sub_event, invitation=invitation) == 5
    assert Counter(results[100:]) == {"confirmed": 5, "full": 1}


def test_concurrent_moves_in_opposite_directions_do_not_deadlock():
    one, two = SubEventFactory(capacity=15), SubEventFactory(capacity=15)
    there = [RegistrationFactory(sub_event=one, phone=f"13500000{i:03d}") for i in range(10)]
    back = [RegistrationFactory(sub_event=two, phone=f"13600000{i:03d}") for i in range(10)]

    def move(registration, target):
        return lambda: len(
            services.registration_move(registration=registration, to_sub_event_id=target.pk)
        )

    results = run_at_once([move(r, two) for r in there] + [move(r, one) for r in back])
    # Each move either went through or found the other side full; none waited for ever
    # or was given up by the database.
    assert set(results) <= {0, "full"} and results.count(0) >= 10
    assert places(one) <= 15 and places(two) <= 15
    assert places(one) + places(two) == 20
    assert Registration.objects.confirmed().count() == 20


def test_two_scanners_check_a_ticket_in_once():
    registration = RegistrationFactory(sub_event=SubEventFactory())

    def scan():
        return services.registration_check_in(registration=registration).checked_in_at

    results = run_at_once([scan for _ in range(8)])
    assert Counter(type(r).__name__ for r in results)["datetime"] == 1
    assert results.count("already_checked_in") == 7


def test_one_phone_booking_overlapping_activities_at_once_gets_one_place():
    # Ten activities at the same hour, one number booking all of them at the same moment:
    # the bookings of that number take turns (its lock), so exactly one gets a place.
    sub_events = SubEventFactory.create_batch(10, capacity=5)
    results = run_at_once([booking(sub_event, "13800138000") for sub_event in sub_events])
    assert Counter(results) == {"confirmed": 1, "overlap": 9}
    assert Registration.objects.filter(phone="13800138000").count() == 1


def test_a_move_racing_a_booking_of_the_same_phone_leaves_no_overlap():
    for _ in range(5):
        here, there, also_there = SubEventFactory.create_batch(3, capacity=5)
        here.starts_at = there.starts_at - dt.timedelta(days=1)
        here.ends_at = here.starts_at + dt.timedelta(hours=2)
        here.save()
        moving = RegistrationFactory(sub_event=here, phone="13800138000")

        def move(moving=moving, there=there):
            return len(services.registration_move(registration=moving, to_sub_event_id=there.pk))

        results = run_at_once([move, booking(also_there, "13800138000")])
        assert set(results) <= {0, "confirmed", "overlap"}
        active = Registration.objects.active().filter(phone="13800138000")
        at_the_same_hour = active.exclude(sub_event=here)
        assert at_the_same_hour.count() == 1
        Registration.objects.all().delete()


def test_groups_and_the_public_share_the_places_exactly():
    """Classes booked with invitation codes (groups of 12, beyond the party size) race a
    public rush: invitation seats and public places both hold to the place."""
    sub_event = SubEventFactory(capacity=40, max_party_size=2)
    invitation = InvitationFactory(sub_event=sub_event, seats=30)

    def group(number):
        def call():
            return services.registration_create(
                sub_event_id=sub_event.pk,
                name="李老师",
                phone=f"135{number:08d}",
                party_size=12,
                invitation_code=invitation.code,
                participants=[{"name": f"学生{n}"} for n in range(11)],
            ).registration.status

        return call

    calls = [group(i) for i in range(5)]
    calls += [booking(sub_event, f"136{i:08d}", party_size=2) for i in range(10)]
    results = run_at_once(calls)
    assert places(sub_event, invitation=invitation) == 24  # two classes of 12 fit in 30
    assert Counter(results[:5]) == {"confirmed": 2, "full": 3}
    assert places(sub_event, invitation__isnull=True) == 10
    assert places(sub_event) <= sub_event.capacity
    for registration in Registration.objects.filter(invitation=invitation, status="confirmed"):
        assert registration.participants.count() == 11
