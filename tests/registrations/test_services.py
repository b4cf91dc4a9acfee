import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from openday.registrations import manage_link, services
from openday.registrations.models import Registration
from tests.factories import InvitationFactory, RegistrationFactory

pytestmark = pytest.mark.django_db


def confirmed_places(sub_event):
    return sum(
        Registration.objects.confirmed()
        .filter(sub_event=sub_event)
        .values_list("party_size", flat=True)
    )


def test_registration_create_confirms_while_places_are_left(sub_event, book):
    booking = book(sub_event, phone="+86 138 0013 8000", party_size=3)
    registration = booking.registration
    assert registration.status == "confirmed"
    assert registration.phone == "13800138000"
    assert manage_link.lookup(booking.token).get() == registration
    assert booking.manage_url == f"/r/{booking.token}/"


def test_registration_create_waitlists_when_the_party_does_not_fit(sub_event, book):
    RegistrationFactory(sub_event=sub_event, party_size=3, phone="13900000001")
    RegistrationFactory(sub_event=sub_event, party_size=3, phone="13900000002")
    RegistrationFactory(sub_event=sub_event, party_size=3, phone="13900000003")
    assert book(sub_event, party_size=2).registration.status == "waitlisted"
    assert book(sub_event, phone="13800138001", party_size=1).registration.status == "confirmed"
    assert confirmed_places(sub_event) == 10


def test_registration_create_full_without_waitlist(sub_event, book):
    sub_event.waitlist_enabled = False
    sub_event.capacity = 1
    sub_event.save()
    book(sub_event)
    with pytest.raises(services.RegistrationFull):
        book(sub_event, phone="13800138001")
    assert Registration.objects.count() == 1


def test_registration_create_refuses_the_same_phone_twice(sub_event, book):
    book(sub_event, phone="13800138000")
    with pytest.raises(services.DuplicateRegistration) as error:
        book(sub_event, phone="138-0013-8000")
    assert error.value.code == "duplicate"
    assert Registration.objects.count() == 1


@pytest.mark.parametrize(
    "change",
    [
        {"is_cancelled": True},
        {"is_published": False},
        {"registration_required": False},
        {"registration_opens_at": timezone.now() + dt.timedelta(days=1)},
        {"registration_closes_at": timezone.now() - dt.timedelta(minutes=1)},
        {
            "starts_at": timezone.now() - dt.timedelta(hours=3),
            "ends_at": timezone.now() - dt.timedelta(hours=1),
        },
    ],
)
def test_registration_create_refuses_outside_the_window(sub_event, change, book):
    for field, value in change.items():
        setattr(sub_event, field, value)
    if "registration_closes_at" in change:
        sub_event.registration_opens_at = timezone.now() - dt.timedelta(days=1)
    sub_event.save()
    with pytest.raises(services.RegistrationClosed):
        book(sub_event)
    assert not Registration.objects.exists()


def test_registration_create_refuses_party_larger_than_allowed(sub_event, book):
    with pytest.raises(services.InvalidPartySize):
        book(sub_event, party_size=4)


def test_invitation_seats_are_kept_from_the_public(sub_event, book):
    sub_event.capacity = 4
    sub_event.waitlist_enabled = False
    sub_event.save()
    invitation = InvitationFactory(sub_event=sub_event, seats=3)
    book(sub_event, phone="13800138001")
    with pytest.raises(services.RegistrationFull):
        book(sub_event, phone="13800138002")
    booking = book(sub_event, phone="13800138003", party_size=3, invitation_code=invitation.code)
    assert booking.registration.invitation == invitation
    assert confirmed_places(sub_event) == 4


def test_invitation_code_books_only_within_its_own_seats(sub_event, book):
    invitation = InvitationFactory(sub_event=sub_event, seats=2)
    book(sub_event, phone="13800138001", party_size=2, invitation_code=invitation.code.lower())
    with pytest.raises(services.RegistrationFull):
        book(sub_event, phone="13800138002", invitation_code=invitation.code)


def test_invitation_code_of_another_subevent_is_invalid(sub_event, book):
    other = InvitationFactory()
    with pytest.raises(services.InvalidInvitationCode) as error:
        book(sub_event, invitation_code=other.code)
    assert error.value.code == "invalid_code"


def test_registration_cancel_promotes_the_first_waitlisted_party_that_fits(
    sub_event, django_capture_on_commit_callbacks, book
):
    sub_event.capacity = 3
    sub_event.save()
    first = book(sub_event, phone="13800138001", party_size=2).registration
    book(sub_event, phone="13800138002", party_size=1)
    big = book(sub_event, phone="13800138003", party_size=3).registration
    small = book(sub_event, phone="13800138004", party_size=1).registration
    small.email = "small@example.com"
    small.save()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        promoted = services.registration_cancel(registration=first)

    assert promoted == [small]
    big.refresh_from_db()
    small.refresh_from_db()
    assert (big.status, small.status) == ("waitlisted", "confirmed")
    assert confirmed_places(sub_event) == 2
    assert len(mail.outbox) == 1 and small.reference in mail.outbox[0].body


def test_registration_cancel_twice_changes_nothing(sub_event, book):
    registration = book(sub_event).registration
    services.registration_cancel(registration=registration)
    assert services.registration_cancel(registration=registration) == []
    assert registration.status == "cancelled"


def test_confirmation_email_is_sent_after_booking(
    sub_event, django_capture_on_commit_callbacks, book
):
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(sub_event, email="wang@example.com")
    assert len(mail.outbox) == 1
    assert booking.registration.reference in mail.outbox[0].body
    assert booking.token in mail.outbox[0].body


def test_broken_mail_server_does_not_lose_the_booking(
    sub_event, settings, django_capture_on_commit_callbacks, book
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = 9  # discard port: nothing listens
    settings.EMAIL_TIMEOUT = 1
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(sub_event, email="wang@example.com")
    assert Registration.objects.filter(pk=booking.registration.pk).exists()


def test_registration_create_refuses_an_unpublished_open_day(sub_event, book):
    sub_event.event.is_published = False
    sub_event.event.save()
    with pytest.raises(services.RegistrationClosed):
        book(sub_event)
    assert not Registration.objects.exists()
