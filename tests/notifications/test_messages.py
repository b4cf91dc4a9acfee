"""Every event in a registration's life reaches the person once per channel they have:
a text message always, an e-mail when they gave an address."""

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.urls import reverse

from openday.notifications.models import Notification
from openday.registrations import services
from openday.registrations.models import Registration
from tests import factories
from tests.admin_pages import form_data

pytestmark = pytest.mark.django_db


def kinds(outbox) -> list[str]:
    return [message.kind for message in outbox]


def test_a_booking_sends_one_confirmation_with_a_working_link(
    client, committed, sms_outbox, sub_event
):
    with committed():
        response = client.post(
            reverse("events:register", args=[sub_event.event.slug, sub_event.pk]),
            {"name": "王芳", "phone": "138 0013 8000", "party_size": "1", "consent": "on"},
        )
    assert response.status_code == 302
    registration = Registration.objects.get()
    assert kinds(sms_outbox) == ["booking_confirmed"]
    (message,) = sms_outbox
    assert message.phone == "13800138000"
    assert message.named_params["reference"] == registration.reference
    ticket = client.get(urlsplit(message.named_params["link"]).path)
    assert ticket.status_code == 200
    assert registration.reference in ticket.content.decode()
    assert mail.outbox == []


def test_an_email_address_adds_an_email(book, committed, sms_outbox, sub_event):
    with committed():
        booking = book(sub_event, email="wang@example.com")
    assert kinds(sms_outbox) == ["booking_confirmed"]
    assert [message.to for message in mail.outbox] == [["wang@example.com"]]
    assert booking.registration.reference in mail.outbox[0].body
    record = Notification.objects.get(channel="email")
    assert (record.kind, record.status) == ("booking_confirmed", "sent")


def test_the_waiting_list_is_said_so(book, committed, sms_outbox):
    sub_event = factories.SubEventFactory(capacity=1)
    with committed():
        book(sub_event, "13800138000")
        book(sub_event, "13900139000")
    assert kinds(sms_outbox) == ["booking_confirmed", "booking_waitlisted"]


def test_a_promotion_reaches_the_promoted_person_once(book, committed, sms_outbox):
    sub_event = factories.SubEventFactory(capacity=1)
    first = book(sub_event, "13800138000").registration
    book(sub_event, "13900139000")
    book(sub_event, "13700137000")
    with committed():
        services.registration_cancel(registration=first)
    assert sorted((message.kind, message.phone) for message in sms_outbox) == [
        ("booking_cancelled", "13800138000"),
        ("waitlist_promoted", "13900139000"),
    ]
    with committed():
        services.registration_cancel(registration=first)
    assert len(sms_outbox) == 2


def test_cancelling_an_activity_in_the_admin_ends_and_tells_each_registration_once(
    admin_client, book, committed, sms_outbox, sub_event
):
    confirmed = book(sub_event, "13800138000").registration
    waiting = factories.RegistrationFactory(
        sub_event=sub_event, phone="13900139000", status="waitlisted"
    )
    gone = factories.RegistrationFactory(
        sub_event=sub_event, phone="13700137000", status="cancelled"
    )
    url = reverse("admin:events_subevent_change", args=[sub_event.pk])
    data = form_data(admin_client.get(url).content.decode(), "subevent_form", is_cancelled="on")
    with committed():
        assert admin_client.post(url, data).status_code == 302
    assert sorted((message.kind, message.phone) for message in sms_outbox) == [
        ("activity_cancelled", "13800138000"),
        ("activity_cancelled", "13900139000"),
    ]
    for registration in (confirmed, waiting, gone):
        registration.refresh_from_db()
        assert registration.status == Registration.Status.CANCELLED
    # Saving the cancelled activity again tells nobody again.
    data = form_data(admin_client.get(url).content.decode(), "subevent_form")
    with committed():
        assert admin_client.post(url, data).status_code == 302
    assert len(sms_outbox) == 2


def test_the_ticket_of_a_cancelled_activity_says_so(client, book, committed, sms_outbox, sub_event):
    book(sub_event)
    with committed():
        services.sub_event_cancel(sub_event_id=sub_event.pk, reason="天气原因")
    link = sms_outbox[-1].named_params["link"]
    page = client.get(urlsplit(link).path).content.decode()
    assert "天气原因" in page
    assert "show this code" not in page.lower()
    api = client.get(f"/api/v1/subevents/{sub_event.pk}").json()
    assert api["places_left"] == sub_event.capacity


def test_the_admin_action_cancels_the_selected_activities(
    admin_client, book, committed, sms_outbox
):
    sub_event = factories.SubEventFactory()
    book(sub_event)
    with committed():
        admin_client.post(
            reverse("admin:events_subevent_changelist"),
            {"action": "cancel_activities", "_selected_action": [sub_event.pk]},
        )
    assert kinds(sms_outbox) == ["activity_cancelled"]
    assert Registration.objects.get().status == Registration.Status.CANCELLED


def test_a_new_time_tells_the_active_registrants(
    admin_client, book, committed, sms_outbox, sub_event
):
    book(sub_event, "13800138000")
    factories.RegistrationFactory(sub_event=sub_event, phone="13700137000", status="cancelled")
    url = reverse("admin:events_subevent_change", args=[sub_event.pk])
    page = admin_client.get(url).content.decode()
    data = form_data(page, "subevent_form")
    starts = sub_event.starts_at.astimezone() + dt.timedelta(hours=1)
    data["starts_at_1"] = starts.strftime("%H:%M:%S")
    data["ends_at_1"] = (starts + dt.timedelta(hours=2)).strftime("%H:%M:%S")
    with committed():
        assert admin_client.post(url, data).status_code == 302
    assert [(m.kind, m.phone) for m in sms_outbox] == [("activity_changed", "13800138000")]


def test_a_published_reply_reaches_the_author_who_agreed_once(admin_client, committed, sms_outbox):
    event = factories.EventFactory()
    agreed = factories.FeedbackFactory(
        event=event, contact_consent=True, contact_phone="13800138000", text="多设座椅"
    )
    silent = factories.FeedbackFactory(event=event, contact_consent=False, text="很好")
    for feedback in (agreed, silent):
        url = reverse("admin:feedback_feedback_change", args=[feedback.pk])
        data = form_data(
            admin_client.get(url).content.decode(),
            "feedback_form",
            public_reply="已采纳",
            is_published="on",
        )
        with committed():
            assert admin_client.post(url, data).status_code == 302
    assert [(m.kind, m.phone) for m in sms_outbox] == [("suggestion_replied", "13800138000")]
    link = sms_outbox[0].named_params["link"]
    assert admin_client.get(urlsplit(link).path).status_code == 200
    with committed():
        admin_client.post(
            reverse("admin:feedback_feedback_changelist"),
            {"action": "publish", "_selected_action": [agreed.pk]},
        )
    assert len(sms_outbox) == 1
