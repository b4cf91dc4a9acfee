"""A sold-out activity refuses a rush from the cache, and nothing that frees a place is
ever refused by it."""

import pytest
from django.core.cache import cache

from openday.events.models import Invitation, SubEvent
from openday.registrations import services, sold_out
from openday.registrations.models import Registration
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_place(sub_event):
    sub_event.capacity = 1
    sub_event.waitlist_enabled = False
    sub_event.save()
    return sub_event


@pytest.fixture
def sell_out(django_capture_on_commit_callbacks, book):
    def take_the_last_place(sub_event):
        """Book the one place (committed), then meet the full activity once: it is
        marked sold out."""
        with django_capture_on_commit_callbacks(execute=True):
            booking = book(sub_event, "13800138000")
        with pytest.raises(services.RegistrationFull):
            book(sub_event, "13800138001")
        return booking

    return take_the_last_place


def test_attempts_after_the_last_place_are_refused_without_a_query(
    one_place, sell_out, django_assert_num_queries, book
):
    sell_out(one_place)
    with django_assert_num_queries(0), pytest.raises(services.RegistrationFull) as refusal:
        book(one_place, "13800138002")
    assert refusal.value.code == "full"
    assert "您的报名依然有效" in str(refusal.value.message)
    assert Registration.objects.filter(sub_event=one_place).count() == 1


def test_without_the_mark_places_are_counted_every_time(
    one_place, sell_out, settings, django_assert_max_num_queries, book
):
    settings.OPENDAY_SOLD_OUT_SECONDS = 0
    sell_out(one_place)
    with pytest.raises(services.RegistrationFull), django_assert_max_num_queries(10) as queries:
        book(one_place, "13800138002")
    assert len(queries) >= 2


def test_the_person_who_booked_hears_it_is_theirs_not_that_it_is_full(
    one_place, sell_out, settings, book
):
    settings.CACHE_IS_SHARED = True  # hints are left in a shared cache only
    sell_out(one_place)
    # What a verified number (or a staff surface) is told; see test_neutral_refusals.
    with pytest.raises(services.DuplicateRegistration):
        book(one_place, "138 0013 8000")


def test_a_number_without_a_booking_hint_is_told_its_registration_stands(one_place, sell_out, book):
    sell_out(one_place)  # a cache per process: no hints
    with pytest.raises(services.RegistrationFull) as refusal:
        book(one_place, "13800138000")
    assert "您的报名依然有效" in str(refusal.value.message)


def test_a_cancellation_frees_the_place_at_once(
    one_place, sell_out, django_capture_on_commit_callbacks, book
):
    booking = sell_out(one_place)
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_cancel(registration=booking.registration)
    assert book(one_place, "13800138002").registration.status == "confirmed"


def test_more_places_from_the_admin_are_open_at_once(one_place, sell_out, book):
    sell_out(one_place)
    one_place.capacity = 2
    one_place.save()
    assert book(one_place, "13800138002").registration.status == "confirmed"


def test_more_places_written_in_bulk_are_open_at_once(
    one_place, sell_out, django_capture_on_commit_callbacks, book
):
    sell_out(one_place)
    with django_capture_on_commit_callbacks(execute=True):
        SubEvent.objects.filter(pk=one_place.pk).update(capacity=2)
    assert book(one_place, "13800138002").registration.status == "confirmed"


def test_invitation_seats_released_in_bulk_are_open_at_once(
    one_place, sell_out, django_capture_on_commit_callbacks, book
):
    one_place.capacity = 2
    one_place.save()
    invitation = factories.InvitationFactory(sub_event=one_place, seats=1)
    sell_out(one_place)
    with django_capture_on_commit_callbacks(execute=True):
        Invitation.objects.filter(pk=invitation.pk).delete()
    assert book(one_place, "13800138002").registration.status == "confirmed"


def test_edits_elsewhere_in_the_programme_keep_the_mark(
    one_place, sell_out, django_capture_on_commit_callbacks, django_assert_num_queries, book
):
    sell_out(one_place)
    other = factories.SubEventFactory(event=one_place.event)
    with django_capture_on_commit_callbacks(execute=True):
        factories.FeedbackFactory(event=one_place.event)
        other.title = "另一场活动改名"
        other.save()
        SubEvent.objects.filter(pk=other.pk).update(capacity=99)
    with django_assert_num_queries(0), pytest.raises(services.RegistrationFull):
        book(one_place, "13800138002")


def test_a_registration_deleted_by_staff_frees_its_place(
    one_place, sell_out, django_capture_on_commit_callbacks, book
):
    booking = sell_out(one_place)
    with django_capture_on_commit_callbacks(execute=True):
        booking.registration.delete()
    assert book(one_place, "13800138002").registration.status == "confirmed"


def test_an_activity_with_a_waiting_list_is_never_marked(sub_event, book):
    sub_event.capacity = 1
    sub_event.save()
    book(sub_event, "13800138000")
    assert book(sub_event, "13800138001").registration.status == "waitlisted"
    assert book(sub_event, "13800138002").registration.status == "waitlisted"


def test_staff_count_the_places_themselves(one_place, sell_out, book):
    booking = sell_out(one_place)
    # A place freed behind the service's back (no signal): the public is refused until the
    # mark expires, staff on the phone see the real count.
    Registration.objects.filter(pk=booking.registration.pk).update(status="cancelled")
    with pytest.raises(services.RegistrationFull):
        book(one_place, "13800138002")
    staff_booking = services.registration_create(
        sub_event_id=one_place.pk, name="李伟", phone="13800138003", source="staff"
    )
    assert staff_booking.registration.status == "confirmed"


def test_the_hint_keeps_the_number_out_of_the_cache(one_place, sell_out, settings):
    settings.CACHE_IS_SHARED = True
    sell_out(one_place)
    keys = [key for key in cache._cache if ":booked:" in key]  # local memory, in tests
    assert len(keys) == 1
    assert "13800138000" not in keys[0]


def test_a_mark_from_a_read_that_a_cancellation_overtook_is_ignored(one_place):
    seen = sold_out.look(one_place.pk, "13800138002")
    # Places were read as full, then a cancellation committed before the mark was set.
    sold_out.clear(one_place.pk)
    sold_out.mark(seen)
    assert not sold_out.look(one_place.pk, "13800138002").sold_out


class BrokenCache:
    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError("cache down")

        return fail


def test_a_broken_cache_refuses_nobody_and_loses_no_message(
    one_place, monkeypatch, django_capture_on_commit_callbacks, mailoutbox
):
    one_place.capacity = 2
    one_place.save()
    monkeypatch.setattr(sold_out, "cache", BrokenCache())
    with django_capture_on_commit_callbacks(execute=True):
        booking = services.registration_create(
            sub_event_id=one_place.pk, name="王芳", phone="13800138000", email="w@example.com"
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_cancel(registration=booking.registration)
    assert Registration.objects.get().status == "cancelled"
    assert len(mailoutbox) == 2  # confirmed, then cancelled
