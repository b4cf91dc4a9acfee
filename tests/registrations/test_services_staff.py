"""Check-in and moving a registration: the services the staff tools call."""

import datetime as dt

import pytest
from django.utils import timezone

from openday.registrations import services
from openday.registrations.models import Registration
from tests.factories import InvitationFactory, RegistrationFactory, SubEventFactory

pytestmark = pytest.mark.django_db


def test_check_in_records_the_time_once(sub_event):
    registration = RegistrationFactory(sub_event=sub_event)
    services.registration_check_in(registration=registration)
    first = Registration.objects.get().checked_in_at
    assert first is not None
    with pytest.raises(services.AlreadyCheckedIn) as error:
        services.registration_check_in(registration=registration)
    assert error.value.code == "already_checked_in"
    assert error.value.checked_in_at == first
    assert timezone.localtime(first).strftime("%H:%M") in str(error.value.message)
    assert Registration.objects.get().checked_in_at == first


@pytest.mark.parametrize("status", ["waitlisted", "cancelled"])
def test_check_in_refuses_what_is_not_confirmed(sub_event, status):
    registration = RegistrationFactory(sub_event=sub_event, status=status)
    with pytest.raises(services.NotConfirmed):
        services.registration_check_in(registration=registration)
    assert Registration.objects.get().checked_in_at is None


def test_move_keeps_reference_and_frees_the_old_place(sub_event):
    sub_event.capacity = 2
    sub_event.save()
    target = SubEventFactory()
    moving = RegistrationFactory(sub_event=sub_event, party_size=2)
    waiting = RegistrationFactory(sub_event=sub_event, party_size=2, status="waitlisted")
    promoted = services.registration_move(registration=moving, to_sub_event_id=target.pk)
    assert promoted == [waiting]
    assert (moving.sub_event, moving.status, moving.reference) == (
        target,
        "confirmed",
        Registration.objects.get(pk=moving.pk).reference,
    )
    waiting.refresh_from_db()
    assert waiting.status == "confirmed"


def test_move_to_a_full_activity_is_refused_and_changes_nothing(sub_event):
    target = SubEventFactory(capacity=1)
    RegistrationFactory(sub_event=target)
    moving = RegistrationFactory(sub_event=sub_event)
    with pytest.raises(services.RegistrationFull):
        services.registration_move(registration=moving, to_sub_event_id=target.pk)
    moving.refresh_from_db()
    assert (moving.sub_event, moving.status) == (sub_event, "confirmed")


def test_move_of_a_waitlisted_party_into_free_places_confirms_it(sub_event):
    target = SubEventFactory()
    waiting = RegistrationFactory(sub_event=sub_event, status="waitlisted")
    assert services.registration_move(registration=waiting, to_sub_event_id=target.pk) == []
    assert (waiting.sub_event, waiting.status) == (target, "confirmed")


def test_move_drops_the_invitation_and_respects_the_target_public_places(sub_event):
    invitation = InvitationFactory(sub_event=sub_event, seats=2)
    reserved = SubEventFactory(capacity=2)
    InvitationFactory(sub_event=reserved, seats=2)
    moving = RegistrationFactory(sub_event=sub_event, invitation=invitation)
    with pytest.raises(services.RegistrationFull):
        services.registration_move(registration=moving, to_sub_event_id=reserved.pk)
    public = SubEventFactory(capacity=2)
    services.registration_move(registration=moving, to_sub_event_id=public.pk)
    assert (moving.sub_event, moving.invitation, moving.status) == (public, None, "confirmed")


def test_move_refuses_duplicates_cancelled_and_checked_in(sub_event):
    target = SubEventFactory()
    RegistrationFactory(sub_event=target, phone="13800000001")
    duplicate = RegistrationFactory(sub_event=sub_event, phone="13800000001")
    with pytest.raises(services.DuplicateRegistration):
        services.registration_move(registration=duplicate, to_sub_event_id=target.pk)
    cancelled = RegistrationFactory(sub_event=sub_event, status="cancelled")
    with pytest.raises(services.RegistrationNotActive):
        services.registration_move(registration=cancelled, to_sub_event_id=target.pk)
    checked_in = RegistrationFactory(sub_event=sub_event, checked_in_at=timezone.now())
    with pytest.raises(services.AlreadyCheckedIn):
        services.registration_move(registration=checked_in, to_sub_event_id=target.pk)
    assert Registration.objects.filter(sub_event=target).count() == 1


def test_move_refuses_a_past_or_cancelled_target(sub_event):
    past = SubEventFactory(
        starts_at=timezone.now() - dt.timedelta(hours=3),
        ends_at=timezone.now() - dt.timedelta(hours=1),
    )
    cancelled = SubEventFactory(is_cancelled=True)
    moving = RegistrationFactory(sub_event=sub_event)
    for target in (past, cancelled):
        with pytest.raises(services.RegistrationClosed):
            services.registration_move(registration=moving, to_sub_event_id=target.pk)
    moving.refresh_from_db()
    assert moving.sub_event == sub_event
