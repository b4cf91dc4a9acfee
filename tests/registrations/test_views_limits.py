"""The HTML form and the manage pages under the shared rate limiter, the booking refusals
the form must explain, the consent statement, and "delete my data"."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from openday.privacy.models import ConsentStatement
from openday.registrations import services
from openday.registrations.forms import RegistrationForm
from openday.registrations.models import Registration
from tests import factories
from tests.registrations.test_views import form_data, register_url

# Assertions read the English source text; Chinese pages are checked where it matters.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def past_sub_event(**fields):
    ends = timezone.now() - dt.timedelta(days=1)
    return factories.SubEventFactory(starts_at=ends - dt.timedelta(hours=2), ends_at=ends, **fields)


# --- Rate limits ----------------------------------------------------------------------


def test_register_over_the_phone_limit_is_429_with_retry_after(client, sub_event, settings):
    settings.OPENDAY_RATELIMIT_PHONE = "2/600"
    for _attempt in range(2):
        client.post(register_url(sub_event), form_data(consent=None))
    response = client.post(register_url(sub_event), form_data())
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many attempts" in response.content.decode()
    assert not Registration.objects.exists()


def test_register_shares_its_limit_with_the_api(client, sub_event, settings):
    settings.OPENDAY_RATELIMIT_PHONE = "1/600"
    other = factories.SubEventFactory()
    api = client.post(
        f"/api/v1/subevents/{other.pk}/registrations",
        {"name": "王芳", "phone": "13800138000", "consent": True},
        content_type="application/json",
    )
    assert api.status_code == 201
    response = client.post(register_url(sub_event), form_data())
    assert response.status_code == 429
    assert not Registration.objects.filter(sub_event=sub_event).exists()


def test_manage_pages_over_the_address_limit_are_429(client, sub_event, settings, book):
    settings.OPENDAY_RATELIMIT_MANAGE = "3/60"
    booking = book(sub_event, "13800138000")
    for _attempt in range(3):
        assert client.get(f"/r/guess-{_attempt}/").status_code == 404
    response = client.get(booking.manage_url)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    cancel = client.post(reverse("registrations:cancel", kwargs={"token": booking.token}))
    assert cancel.status_code == 429
    assert Registration.objects.get().status == Registration.Status.CONFIRMED


def test_manage_limit_leaves_the_booking_form_alone(client, sub_event, settings):
    settings.OPENDAY_RATELIMIT_MANAGE = "1/60"
    client.get("/r/guess/")
    client.get("/r/guess/")
    assert client.get(register_url(sub_event)).status_code == 200


# --- Refusals the form explains -------------------------------------------------------


def test_register_with_a_suspended_phone_tells_a_stranger_nothing(client, sub_event):
    # Two activities missed without cancelling: the no-show rule suspends the number, and
    # until the number is verified the form says only what it says for a full activity.
    for _missed in range(2):
        factories.RegistrationFactory(sub_event=past_sub_event(), phone="13800138000")
    response = client.post(register_url(sub_event), form_data())
    page = response.content.decode()
    assert response.status_code == 200
    assert "did not turn up at activities it had booked" not in page
    assert "the activity may be full" in page
    assert not Registration.objects.filter(sub_event=sub_event).exists()


def test_registration_form_shows_busy_as_a_message_for_the_whole_form(sub_event):
    form = RegistrationForm(form_data(), sub_event=sub_event)
    assert form.is_valid()
    form.add_booking_error(services.Busy())
    assert form.non_field_errors() == [str(services.Busy.message)]


# --- Consent --------------------------------------------------------------------------


def test_register_form_shows_the_stored_consent_statement(client, sub_event):
    page = client.get(register_url(sub_event)).content.decode()
    statement = ConsentStatement.objects.get()
    assert statement.text_for("en") in page


def test_register_form_shows_the_consent_statement_in_chinese_by_default(client, sub_event):
    translation.activate("zh-hans")
    page = client.get(register_url(sub_event)).content.decode()
    assert ConsentStatement.objects.get().text_for("zh-hans") in page


@pytest.mark.parametrize(
    "source", [Registration.Source.API, Registration.Source.STAFF, Registration.Source.WEB]
)
def test_first_booking_through_any_channel_freezes_the_consent_statement(
    sub_event, source, django_capture_on_commit_callbacks, book, booked_then_over
):
    assert not ConsentStatement.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        booking = services.registration_create(
            sub_event_id=sub_event.pk, name="王芳", phone="13800138000", source=source
        )
    statement = ConsentStatement.objects.get()
    assert booking.registration.consent_version == statement.version


# --- Delete my data -------------------------------------------------------------------


@pytest.fixture
def booked_then_over(book):
    def make(**kwargs) -> services.Booking:
        """A booking made ahead, for an activity that has ended since."""
        sub_event = factories.SubEventFactory()
        booking = book(sub_event, "13800138000", **kwargs)
        ends = timezone.now() - dt.timedelta(days=1)
        type(sub_event).objects.filter(pk=sub_event.pk).update(
            starts_at=ends - dt.timedelta(hours=2), ends_at=ends
        )
        return booking

    return make


def erase_url(token: str) -> str:
    return reverse("registrations:erase", kwargs={"token": token})


def test_manage_page_offers_delete_after_the_activity(client, booked_then_over):
    booking = booked_then_over()
    page = client.get(booking.manage_url).content.decode()
    assert erase_url(booking.token) in page


def test_manage_page_does_not_offer_delete_before_the_activity(client, sub_event, book):
    booking = book(sub_event, "13800138000")
    page = client.get(booking.manage_url).content.decode()
    assert erase_url(booking.token) not in page


def test_delete_my_data_asks_first_then_erases_and_kills_the_link(client, booked_then_over):
    booking = booked_then_over(email="wang@example.com")
    confirm = client.get(erase_url(booking.token))
    assert confirm.status_code == 200
    assert "Delete my data?" in confirm.content.decode()
    assert Registration.objects.get().phone == "13800138000"

    done = client.post(erase_url(booking.token))
    assert done.status_code == 200
    assert "Your data is deleted" in done.content.decode()
    registration = Registration.objects.get()
    assert (registration.name, registration.phone, registration.email) == ("", "", "")
    assert registration.anonymised_at is not None
    assert client.get(booking.manage_url).status_code == 404
    assert client.post(erase_url(booking.token)).status_code == 404


def test_delete_my_data_before_the_activity_is_refused_with_a_reason(client, sub_event, book):
    booking = book(sub_event, "13800138000")
    response = client.post(erase_url(booking.token), follow=True)
    assert "You can delete your data once the activity is over" in response.content.decode()
    assert Registration.objects.get().phone == "13800138000"
    assert client.get(erase_url(booking.token), follow=True).status_code == 200
    assert Registration.objects.get().anonymised_at is None


def test_delete_my_data_needs_csrf(booked_then_over):
    booking = booked_then_over()
    response = Client(enforce_csrf_checks=True).post(erase_url(booking.token))
    assert response.status_code == 403
    assert Registration.objects.get().phone == "13800138000"


def test_delete_my_data_with_a_wrong_token_is_404(client):
    assert client.post(erase_url("not-a-token")).status_code == 404
