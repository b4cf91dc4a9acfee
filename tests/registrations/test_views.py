import re

import pytest
import segno
from django.core import mail
from django.urls import reverse
from django.utils import translation
from icalendar import Calendar

from openday.notifications.models import Notification
from openday.registrations.models import Registration
from tests import factories

# Assertions read the English source text; Chinese pages are checked where it matters.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def register_url(sub_event) -> str:
    return reverse(
        "events:register", kwargs={"event_slug": sub_event.event.slug, "pk": sub_event.pk}
    )


def form_data(**overrides) -> dict:
    data = {
        "name": "王芳",
        "phone": "138 0013 8000",
        "email": "",
        "party_size": "1",
        "invitation_code": "",
        "consent": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_register_form_has_the_fields_of_the_contract(client, sub_event):
    response = client.get(register_url(sub_event))
    page = response.content.decode()
    assert response.status_code == 200
    for name in ("name", "phone", "email", "party_size", "invitation_code", "consent"):
        assert f'name="{name}"' in page
    assert reverse("events:privacy") in page
    assert "anonymised 180 days after the activity ends" in page


def test_register_creates_confirmed_registration_and_shows_ticket(client, sub_event):
    response = client.post(register_url(sub_event), form_data(party_size="2"))
    assert response.status_code == 302
    assert response["Location"].startswith("/en/r/")
    registration = Registration.objects.get()
    assert registration.status == Registration.Status.CONFIRMED
    assert registration.phone == "13800138000"
    assert registration.party_size == 2
    assert registration.consent_given_at is not None
    assert registration.language == "en"

    ticket = client.get(response["Location"])
    page = ticket.content.decode()
    assert ticket.status_code == 200
    assert "You are registered. This is your ticket." in page
    assert registration.reference in page
    assert "<svg" in page and "ticket-qr" in page
    assert "138****8000" in page
    assert "13800138000" not in page
    assert reverse("registrations:calendar", kwargs={"token": response["Location"][6:-1]}) in page


def test_ticket_qr_code_carries_the_signed_reference_only(client, sub_event):
    response = client.post(register_url(sub_event), form_data())
    registration = Registration.objects.get()
    page = client.get(response["Location"]).content.decode()
    expected = segno.make(registration.checkin_code, error="m").svg_inline(
        scale=1, svgclass="ticket-qr", lineclass="ticket-qr-dark", omitsize=True, light="#fff"
    )
    assert expected in page
    assert Registration.reference_from_checkin_code(registration.checkin_code) == (
        registration.reference
    )


def test_register_with_invalid_phone_says_why_and_saves_nothing(client, sub_event):
    response = client.post(register_url(sub_event), form_data(phone="12345"))
    assert response.status_code == 200
    assert "Enter an 11-digit mainland mobile number" in response.content.decode()
    assert Registration.objects.count() == 0


def test_register_error_messages_are_chinese_by_default(client, sub_event):
    translation.activate("zh-hans")
    response = client.post(register_url(sub_event), form_data(phone="12345", consent=None))
    page = response.content.decode()
    assert response.status_code == 200
    assert "请输入以1开头的11位大陆手机号码" in page
    assert "请同意" in page
    assert Registration.objects.count() == 0


def test_register_without_consent_is_refused(client, sub_event):
    response = client.post(register_url(sub_event), form_data(consent=None))
    assert response.status_code == 200
    assert "Please agree to the use of your details" in response.content.decode()
    assert Registration.objects.count() == 0


def test_register_with_party_larger_than_allowed_is_refused(client, sub_event):
    response = client.post(register_url(sub_event), form_data(party_size="9"))
    assert response.status_code == 200
    assert "Choose how many people come." in response.content.decode()
    assert Registration.objects.count() == 0


def test_register_without_name_is_refused(client, sub_event):
    response = client.post(register_url(sub_event), form_data(name="   "))
    assert response.status_code == 200
    assert "Enter your name." in response.content.decode()
    assert Registration.objects.count() == 0


def test_register_same_phone_twice_says_already_registered(client, sub_event, book):
    book(sub_event, "13800138000")
    response = client.post(register_url(sub_event), form_data())
    assert response.status_code == 200
    # Told neutrally (anyone can type a number), with the way to the booking.
    assert "If you registered earlier, the link in your confirmation" in (response.content.decode())
    assert Registration.objects.count() == 1


def test_register_double_submit_of_one_form_books_once_and_shows_the_ticket(client, sub_event):
    form_page = client.get(register_url(sub_event)).content.decode()
    form_token = re.search(r'name="form_token" value="([^"]+)"', form_page).group(1)
    first = client.post(register_url(sub_event), form_data(form_token=form_token))
    second = client.post(register_url(sub_event), form_data(form_token=form_token))
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Registration.objects.count() == 1
    ticket = client.get(second["Location"]).content.decode()
    assert "This form was already sent" in ticket


def test_register_from_the_same_page_for_another_phone_books_again(client, sub_event):
    form_page = client.get(register_url(sub_event)).content.decode()
    form_token = re.search(r'name="form_token" value="([^"]+)"', form_page).group(1)
    first = client.post(register_url(sub_event), form_data(form_token=form_token))
    second = client.post(
        register_url(sub_event),
        form_data(form_token=form_token, name="李雷", phone="13900139000"),
    )
    assert first.status_code == second.status_code == 302
    assert first["Location"] != second["Location"]
    assert Registration.objects.count() == 2


def test_register_on_full_sub_event_puts_party_on_waiting_list(client, book):
    sub_event = factories.SubEventFactory(capacity=1)
    book(sub_event, "13900139000")
    response = client.post(register_url(sub_event), form_data())
    registration = Registration.objects.get(phone="13800138000")
    assert registration.status == Registration.Status.WAITLISTED
    page = client.get(response["Location"]).content.decode()
    assert "you are on the waiting list" in page
    assert "ticket-qr" not in page


def test_register_on_full_sub_event_without_waiting_list_gives_reason(client, book):
    sub_event = factories.SubEventFactory(capacity=1, waitlist_enabled=False)
    book(sub_event, "13900139000")
    page = client.get(register_url(sub_event)).content.decode()
    assert "no waiting list" in page
    assert 'name="phone"' not in page
    response = client.post(register_url(sub_event), form_data())
    assert response.status_code == 200
    assert "the activity may be full" in response.content.decode()
    assert Registration.objects.count() == 1


def test_register_on_cancelled_sub_event_is_refused(client):
    sub_event = factories.SubEventFactory(is_cancelled=True)
    response = client.post(register_url(sub_event), form_data())
    assert response.status_code == 200
    assert "Registration for this activity is closed." in response.content.decode()
    assert Registration.objects.count() == 0


def test_register_with_wrong_invitation_code_points_at_the_code(client, sub_event):
    factories.InvitationFactory(sub_event=sub_event)
    response = client.post(register_url(sub_event), form_data(invitation_code="WRONGCODE"))
    assert response.status_code == 200
    assert "This invitation code is not valid for this activity." in response.content.decode()
    assert Registration.objects.count() == 0


def test_register_with_invitation_code_books_reserved_place(client):
    sub_event = factories.SubEventFactory(capacity=4)
    invitation = factories.InvitationFactory(sub_event=sub_event, seats=4)
    response = client.post(
        register_url(sub_event), form_data(invitation_code=invitation.code.lower())
    )
    assert response.status_code == 302
    registration = Registration.objects.get()
    assert registration.invitation == invitation
    assert registration.status == Registration.Status.CONFIRMED


def test_register_of_unpublished_sub_event_is_404(client):
    sub_event = factories.SubEventFactory(is_published=False)
    assert client.get(register_url(sub_event)).status_code == 404


def test_register_with_email_sends_ticket_by_mail(
    client, sub_event, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(register_url(sub_event), form_data(email="wang@example.com"))
    registration = Registration.objects.get()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["wang@example.com"]
    assert registration.reference in message.body
    token = re.search(r"/r/([\w-]+)/\n", message.body).group(1)
    assert f"/r/{token}/calendar.ics" in message.body
    assert client.get(f"/r/{token}/calendar.ics").status_code == 200
    assert message.alternatives[0].mimetype == "text/html"


def test_register_with_broken_mail_server_still_books(
    client, sub_event, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = 9  # the discard port: nothing listens, the connection is refused
    settings.EMAIL_TIMEOUT = 2
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(register_url(sub_event), form_data(email="wang@example.com"))
    assert response.status_code == 302
    assert Registration.objects.get().status == Registration.Status.CONFIRMED
    email = Notification.objects.get(channel="email")
    assert (email.status, email.attempts) == ("retrying", 1)


def test_register_without_csrf_cookie_explains_in_site_look(sub_event):
    from django.test import Client

    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(register_url(sub_event), form_data())
    assert response.status_code == 403
    assert "Allow cookies for this site" in response.content.decode()
    assert Registration.objects.count() == 0


def test_manage_page_with_unknown_token_is_404(client):
    response = client.get(reverse("registrations:manage", kwargs={"token": "not-a-token"}))
    assert response.status_code == 404


def test_manage_page_is_private(client, sub_event, book):
    booking = book(sub_event, "13800138000")
    response = client.get(booking.manage_url)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "same-origin"


def test_cancel_asks_first_and_changes_nothing_on_get(client, sub_event, book):
    booking = book(sub_event, "13800138000")
    response = client.get(reverse("registrations:cancel", kwargs={"token": booking.token}))
    assert response.status_code == 200
    assert "Cancel my registration?" in response.content.decode()
    booking.registration.refresh_from_db()
    assert booking.registration.status == Registration.Status.CONFIRMED


def test_cancel_confirmed_place_promotes_the_waiting_list(
    client, django_capture_on_commit_callbacks, book
):
    sub_event = factories.SubEventFactory(capacity=1)
    first = book(sub_event, "13800138000")
    second = book(sub_event, "13900139000", email="li@example.com")
    assert second.registration.status == Registration.Status.WAITLISTED
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("registrations:cancel", kwargs={"token": first.token}))
    assert response.status_code == 302
    first.registration.refresh_from_db()
    second.registration.refresh_from_db()
    assert first.registration.status == Registration.Status.CANCELLED
    assert second.registration.status == Registration.Status.CONFIRMED
    assert [message.to for message in mail.outbox] == [["li@example.com"]]

    page = client.get(response["Location"]).content.decode()
    assert "Your registration is cancelled." in page
    assert "Cancel my registration" not in page


def test_cancel_sends_one_confirmation_of_the_cancellation(
    client, sub_event, django_capture_on_commit_callbacks, book
):
    booking = book(sub_event, "13800138000", email="wang@example.com")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("registrations:cancel", kwargs={"token": booking.token}))
    assert [message.to for message in mail.outbox] == [["wang@example.com"]]
    assert booking.registration.reference in mail.outbox[0].body


def test_cancel_twice_changes_nothing_more(client, sub_event, book):
    booking = book(sub_event, "13800138000")
    url = reverse("registrations:cancel", kwargs={"token": booking.token})
    client.post(url)
    response = client.post(url, follow=True)
    assert "This registration is already cancelled." in response.content.decode()
    assert Registration.objects.get().status == Registration.Status.CANCELLED


def test_registration_calendar_file_has_reference_and_local_time(client, sub_event, book):
    booking = book(sub_event, "13800138000")
    response = client.get(reverse("registrations:calendar", kwargs={"token": booking.token}))
    assert response.status_code == 200
    (entry,) = Calendar.from_ical(response.content).walk("VEVENT")
    assert booking.registration.reference in str(entry["DESCRIPTION"])
    assert str(entry["DTSTART"].dt.tzinfo) == "Asia/Shanghai"
    assert "13800138000" not in response.content.decode()


@pytest.mark.parametrize("count", [1, 50])
def test_manage_page_query_count_does_not_grow(client, django_assert_num_queries, count, book):
    sub_event = factories.SubEventFactory(capacity=100)
    factories.RegistrationFactory.create_batch(count, sub_event=sub_event)
    booking = book(sub_event, "13800138000")
    # the registration with its activity, the activity's live notices
    with django_assert_num_queries(2):
        response = client.get(booking.manage_url)
    assert response.status_code == 200


@pytest.mark.parametrize("count", [1, 50])
def test_register_form_query_count_does_not_grow(client, django_assert_num_queries, count):
    sub_event = factories.SubEventFactory(capacity=100)
    factories.RegistrationFactory.create_batch(count, sub_event=sub_event)
    client.get(register_url(sub_event))  # the first view freezes the consent statement
    # the activity with its places, its live notices
    with django_assert_num_queries(2):
        response = client.get(register_url(sub_event))
    assert response.status_code == 200
