import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from openday.events.models import Invitation, SubEvent, new_invitation_code
from openday.registrations.models import Registration
from tests.factories import (
    EventFactory,
    InvitationFactory,
    RegistrationFactory,
    SubEventFactory,
    VenueFactory,
)

pytestmark = pytest.mark.django_db


def refused(callable_):
    with pytest.raises(IntegrityError), transaction.atomic():
        callable_()


def test_subevent_refuses_negative_capacity(sub_event):
    refused(lambda: SubEvent.objects.filter(pk=sub_event.pk).update(capacity=-1))


def test_subevent_refuses_ending_before_it_starts(sub_event):
    refused(lambda: SubEvent.objects.filter(pk=sub_event.pk).update(ends_at=sub_event.starts_at))


def test_subevent_refuses_party_size_limit_outside_1_to_20(sub_event):
    refused(lambda: SubEvent.objects.filter(pk=sub_event.pk).update(max_party_size=0))
    refused(lambda: SubEvent.objects.filter(pk=sub_event.pk).update(max_party_size=21))


def test_subevent_refuses_window_closing_before_it_opens(sub_event):
    now = timezone.now()
    refused(
        lambda: SubEvent.objects.filter(pk=sub_event.pk).update(
            registration_opens_at=now, registration_closes_at=now - dt.timedelta(hours=1)
        )
    )


def test_event_refuses_ending_before_it_starts():
    event = EventFactory()
    refused(
        lambda: (
            type(event)
            .objects.filter(pk=event.pk)
            .update(ends_on=event.starts_on - dt.timedelta(days=1))
        )
    )


def test_venue_refuses_impossible_coordinates():
    refused(lambda: VenueFactory(latitude=91))


def test_registration_refuses_party_size_zero(sub_event):
    refused(lambda: RegistrationFactory(sub_event=sub_event, party_size=0))


def test_registration_refuses_unknown_status(sub_event):
    refused(lambda: RegistrationFactory(sub_event=sub_event, status="maybe"))


def test_registration_one_active_per_phone_per_subevent(sub_event):
    RegistrationFactory(sub_event=sub_event, phone="13800138000")
    refused(lambda: RegistrationFactory(sub_event=sub_event, phone="13800138000"))


def test_registration_same_phone_allowed_after_cancelling(sub_event):
    RegistrationFactory(sub_event=sub_event, phone="13800138000", status="cancelled")
    RegistrationFactory(sub_event=sub_event, phone="13800138000")
    assert Registration.objects.filter(phone="13800138000").count() == 2


def test_registration_same_phone_allowed_on_another_subevent(sub_event):
    RegistrationFactory(sub_event=sub_event, phone="13800138000")
    RegistrationFactory(sub_event=SubEventFactory(), phone="13800138000")


def test_registration_invited_place_is_never_waitlisted(sub_event):
    invitation = InvitationFactory(sub_event=sub_event)
    refused(
        lambda: RegistrationFactory(sub_event=sub_event, invitation=invitation, status="waitlisted")
    )


def test_invitation_refuses_zero_seats(sub_event):
    refused(lambda: InvitationFactory(sub_event=sub_event, seats=0))


def test_invitation_codes_are_unique(sub_event):
    first = InvitationFactory(sub_event=sub_event)
    refused(lambda: InvitationFactory(sub_event=sub_event, code=first.code))


def test_invitation_codes_are_long_and_unambiguous():
    codes = {new_invitation_code() for _ in range(500)}
    assert len(codes) == 500
    assert all(len(code) == 16 for code in codes)
    assert not set("".join(codes)) & set("0O1IL2Z5S8BUV")


def test_with_places_left_counts_confirmed_parties_and_invitation_holds(sub_event):
    InvitationFactory(sub_event=sub_event, seats=3)
    RegistrationFactory(sub_event=sub_event, party_size=2)
    RegistrationFactory(sub_event=sub_event, party_size=3, status="waitlisted")
    RegistrationFactory(sub_event=sub_event, party_size=1, status="cancelled")
    annotated = SubEvent.objects.with_places_left().get(pk=sub_event.pk)
    assert annotated.confirmed_places == 2
    assert annotated.reserved_places == 3
    assert annotated.places_left == 10 - 2 - 3


def test_with_places_left_releases_unused_invitation_seats(sub_event):
    invitation = InvitationFactory(sub_event=sub_event, seats=4)
    RegistrationFactory(sub_event=sub_event, invitation=invitation, party_size=1)
    sub_event.invitations_release_at = timezone.now() - dt.timedelta(minutes=1)
    sub_event.save()
    assert SubEvent.objects.with_places_left().get(pk=sub_event.pk).places_left == 9


def test_with_places_left_is_one_query_for_a_list(django_assert_num_queries):
    for _ in range(5):
        RegistrationFactory(sub_event=SubEventFactory())
    with django_assert_num_queries(1):
        rows = list(SubEvent.objects.for_listing())
        assert [row.places_left for row in rows] == [9] * 5
        assert [row.venue.name for row in rows]


def test_availability_words(sub_event):
    sub_event.capacity = 2
    sub_event.save()
    assert SubEvent.objects.with_places_left().get(pk=sub_event.pk).availability == "almost_full"
    RegistrationFactory(sub_event=sub_event, party_size=2)
    assert SubEvent.objects.with_places_left().get(pk=sub_event.pk).availability == "waitlist"
    sub_event.waitlist_enabled = False
    sub_event.save()
    assert SubEvent.objects.with_places_left().get(pk=sub_event.pk).availability == "full"
    sub_event.is_cancelled = True
    sub_event.save()
    assert SubEvent.objects.with_places_left().get(pk=sub_event.pk).availability == "cancelled"


def test_availability_invitation_only_when_all_places_are_reserved(sub_event):
    Invitation.objects.create(sub_event=sub_event, group=InvitationFactory().group, seats=10)
    assert (
        SubEvent.objects.with_places_left().get(pk=sub_event.pk).availability == "invitation_only"
    )


def test_get_absolute_urls(sub_event):
    assert sub_event.event.get_absolute_url() == f"/events/{sub_event.event.slug}/"
    assert (
        sub_event.get_absolute_url() == f"/events/{sub_event.event.slug}/activities/{sub_event.pk}/"
    )
    assert sub_event.venue.get_absolute_url() == f"/venues/{sub_event.venue.slug}/"
