"""Until a phone number is verified, no public answer depends on it: whoever types a
number into the form or the API cannot learn whether it booked, holds a place at the same
time, or missed activities. The person who booked still finds their booking."""

import datetime as dt
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from openday.notifications.models import Notification
from openday.registrations.models import Registration, RegistrationLog
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

PHONE = "13800138000"


@pytest.fixture(autouse=True)
def _unlimited(settings):
    settings.OPENDAY_RATELIMIT = False


def api_book(client, sub_event, phone=PHONE, headers=None, **fields):
    body = {"name": "王芳", "phone": phone, "consent": True, **fields}
    return client.post(
        f"/api/v1/subevents/{sub_event.pk}/registrations",
        data=json.dumps(body),
        content_type="application/json",
        **(headers or {}),
    )


def form_errors(client, sub_event, phone=PHONE, **fields):
    data = {"name": "王芳", "phone": phone, "party_size": "1", "consent": "on", **fields}
    url = reverse(
        "events:register", kwargs={"event_slug": sub_event.event.slug, "pk": sub_event.pk}
    )
    response = client.post(url, data)
    assert response.status_code == 200
    return response.context["form"].errors


def missed_twice(phone=PHONE):
    for days_ago in (30, 10):
        ends = timezone.now() - dt.timedelta(days=days_ago)
        past = factories.SubEventFactory(starts_at=ends - dt.timedelta(hours=2), ends_at=ends)
        factories.RegistrationFactory(sub_event=past, phone=phone)


def test_api_gives_one_answer_for_full_duplicate_overlap_and_suspended(client, book):
    sub_event = factories.SubEventFactory(capacity=1, waitlist_enabled=False)
    book(sub_event, "13900139000")
    full = api_book(client, sub_event, phone="13700137000")
    duplicate = api_book(client, sub_event, phone="13900139000")
    open_activity = factories.SubEventFactory(starts_at=timezone.now() + dt.timedelta(days=40))
    book(open_activity, "13600136000")
    again = api_book(client, open_activity, phone="13600136000")
    clashing = factories.SubEventFactory(starts_at=open_activity.starts_at)
    overlap = api_book(client, clashing, phone="13600136000")
    missed_twice("13500135000")
    suspended = api_book(client, clashing, phone="13500135000")
    answers = {
        (response.status_code, json.dumps(response.json(), sort_keys=True))
        for response in (full, duplicate, again, overlap, suspended)
    }
    assert len(answers) == 1
    assert full.status_code == 409 and full.json()["code"] == "refused"
    assert "the link in your confirmation" in full.json()["message"]
    assert Registration.objects.filter(phone="13500135000", sub_event=clashing).count() == 0


def test_form_gives_one_answer_for_full_duplicate_and_suspended(client, book):
    sub_event = factories.SubEventFactory(capacity=1, waitlist_enabled=False)
    book(sub_event, "13900139000")
    full = form_errors(client, sub_event, phone="13700137000")
    duplicate = form_errors(client, sub_event, phone="13900139000")
    missed_twice("13500135000")
    places = factories.SubEventFactory()
    suspended = form_errors(client, places, phone="13500135000")
    assert full == duplicate == suspended
    assert "phone" not in full
    assert "the link in your confirmation" in str(full)


def test_a_wrong_invitation_code_is_refused_alike_for_a_number_that_booked(client, book):
    sub_event = factories.SubEventFactory()
    book(sub_event, PHONE)
    booked = api_book(client, sub_event, invitation_code="NOSUCHCODE")
    stranger = api_book(client, sub_event, phone="13900139000", invitation_code="NOSUCHCODE")
    assert booked.status_code == stranger.status_code == 422
    assert booked.json() == stranger.json()


def test_the_person_who_booked_gets_their_booking_again_with_the_same_key(client, sub_event):
    headers = {"HTTP_IDEMPOTENCY_KEY": "c" * 24}
    first = api_book(client, sub_event, headers=headers)
    again = api_book(client, sub_event, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert client.get(f"/api/v1/registrations/{again.json()['token']}").status_code == 200


def test_a_verified_number_hears_the_precise_refusal(client, book, settings, sms_outbox):
    settings.OPENDAY_PHONE_VERIFICATION = True
    sub_event = factories.SubEventFactory()
    booking = book(sub_event, PHONE)
    sent = client.post(
        "/api/v1/verifications", data=json.dumps({"phone": PHONE}), content_type="application/json"
    )
    code = re.search(r"\b(\d{6})\b", sms_outbox[-1].text).group(1)
    response = api_book(
        client,
        sub_event,
        verification_code=code,
        verification_id=sent.json().get("verification_id", ""),
    )
    assert (response.status_code, response.json()["code"]) == (409, "duplicate")
    # The way back to a booking whose link was lost: a new link, texted to the number.
    assert "sent to it again" in response.json()["message"]
    assert Notification.objects.filter(kind="manage_link").count() == 1
    assert client.get(f"/r/{booking.token}/").status_code == 404
    assert RegistrationLog.objects.filter(action="link_resent", actor_kind="person").exists()
