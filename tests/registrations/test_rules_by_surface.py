"""Each booking rule at the edge of the core has one owner in the service layer; these tests
put the same input through every surface that uses the rule (the web form and manage page,
the API, the admin) and expect the same answer from each."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from openday.registrations import services
from openday.registrations.models import Registration, RegistrationLog
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_and_unlimited(english, settings):
    settings.OPENDAY_RATELIMIT = False


def started(sub_event, minutes=5):
    sub_event.starts_at = timezone.now() - dt.timedelta(minutes=minutes)
    sub_event.save()
    return sub_event


# --- surfaces: each returns (booked?, refusal code or message) -------------------------


def web_book(client, sub_event, **fields):
    data = {
        "name": "王芳",
        "phone": "13800138000",
        "party_size": "1",
        "consent": "on",
        **fields,
    }
    url = reverse(
        "events:register", kwargs={"event_slug": sub_event.event.slug, "pk": sub_event.pk}
    )
    return client.post(url, data)


def api_book(client, sub_event, **fields):
    body = {"name": "王芳", "phone": "13800138000", "consent": True, **fields}
    return client.post(
        f"/api/v1/subevents/{sub_event.pk}/registrations",
        data=json.dumps(body),
        content_type="application/json",
    )


def admin_book(client, sub_event, **fields):
    data = {
        "sub_event": sub_event.pk,
        "name": "王芳",
        "phone": "13800138000",
        "party_size": "1",
        **fields,
    }
    return client.post(reverse("admin:registrations_registration_add"), data)


def web_cancel(client, booking):
    return client.post(reverse("registrations:cancel", kwargs={"token": booking.token}))


def api_cancel(client, booking):
    return client.post(
        f"/api/v1/registrations/{booking.token}/cancel", data="{}", content_type="application/json"
    )


def admin_cancel(client, booking):
    return client.post(
        reverse("admin:registrations_registration_changelist"),
        {"action": "cancel_registrations", "_selected_action": [booking.registration.pk]},
    )


# --- cancelling -------------------------------------------------------------------------


def test_service_refuses_a_person_cancelling_after_the_start(sub_event, book):
    booking = book(sub_event)
    started(sub_event)
    with pytest.raises(services.CancellationClosed) as refusal:
        services.registration_cancel(registration=booking.registration)
    assert refusal.value.code == "closed"
    assert Registration.objects.get().status == "confirmed"


@pytest.mark.parametrize("cancel", [web_cancel, api_cancel])
def test_a_person_may_cancel_before_the_start_on_every_surface(client, sub_event, cancel, book):
    booking = book(sub_event)
    cancel(client, booking)
    assert Registration.objects.get().status == "cancelled"


@pytest.mark.parametrize("cancel", [web_cancel, api_cancel])
def test_a_person_may_not_cancel_once_started_on_any_surface(client, sub_event, cancel, book):
    booking = book(sub_event)
    started(sub_event)
    response = cancel(client, booking)
    assert Registration.objects.get().status == "confirmed"
    if cancel is api_cancel:
        assert (response.status_code, response.json()["code"]) == (409, "closed")
    else:
        page = client.get(response["Location"]).content.decode()
        assert "it can no longer be cancelled" in page
        assert "Cancel my registration" not in page


def test_manage_page_offers_cancelling_only_before_the_start(client, sub_event, book):
    booking = book(sub_event)
    manage = reverse("registrations:manage", kwargs={"token": booking.token})
    assert "Cancel my registration" in client.get(manage).content.decode()
    started(sub_event)
    assert "Cancel my registration" not in client.get(manage).content.decode()
    cancel_page = client.get(reverse("registrations:cancel", kwargs={"token": booking.token}))
    assert cancel_page.status_code == 302


def test_staff_may_cancel_on_someones_behalf_until_the_activity_ends(
    admin_client, superuser, sub_event, book
):
    booking = book(sub_event)
    started(sub_event)
    admin_cancel(admin_client, booking)
    assert Registration.objects.get().status == "cancelled"

    other = book(sub_event, phone="13900139000", source=Registration.Source.STAFF)
    sub_event.ends_at = timezone.now() - dt.timedelta(minutes=1)
    sub_event.starts_at = sub_event.ends_at - dt.timedelta(hours=2)
    sub_event.save()
    response = admin_cancel(admin_client, other)
    assert Registration.objects.get(pk=other.registration.pk).status == "confirmed"
    page = admin_client.get(response["Location"]).content.decode()
    assert "it can no longer be cancelled" in page


# --- input cleaning ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "ABCD EFGH JKMN PQRT",
        "abcd-efgh-jkmn-pqrt",
        "ＡＢＣＤ　ＥＦＧＨ　ＪＫＭＮ　ＰＱＲＴ",
        " abcdEFGHjkmnPQRT ",
    ],
)
@pytest.mark.parametrize("surface", [web_book, api_book, admin_book])
def test_an_invitation_code_typed_any_way_books_on_every_surface(
    admin_client, sub_event, surface, typed
):
    invitation = factories.InvitationFactory(sub_event=sub_event, code="ABCDEFGHJKMNPQRT")
    surface(admin_client, sub_event, invitation_code=typed)
    registration = Registration.objects.get()
    assert registration.invitation == invitation


@pytest.mark.parametrize("surface", [web_book, api_book, admin_book])
def test_a_name_is_stored_the_same_from_every_surface(admin_client, sub_event, surface):
    surface(admin_client, sub_event, name="  Ｗａｎｇ　\t Fang  ")
    assert Registration.objects.get().name == "Wang Fang"


@pytest.mark.parametrize("surface", [web_book, api_book, admin_book])
def test_a_blank_name_is_refused_on_every_surface(admin_client, sub_event, surface):
    response = surface(admin_client, sub_event, name="\u3000 \u3000")
    assert not Registration.objects.exists()
    if surface is api_book:
        assert response.status_code == 422
        assert "name" in response.json()["errors"]
    else:
        assert response.status_code == 200
        assert "name" in response.context["form"].errors


def test_service_normalises_what_no_form_cleaned(sub_event, book):
    factories.InvitationFactory(sub_event=sub_event, code="ABCDEFGHJKMNPQRT")
    booking = book(sub_event, invitation_code="abcd efgh-jkmn ｐｑｒｔ")
    assert booking.registration.invitation.code == "ABCDEFGHJKMNPQRT"
    with pytest.raises(services.InvalidName):
        services.registration_create(sub_event_id=sub_event.pk, name="　", phone="13900139000")


# --- the record of what happened --------------------------------------------------------


def history(registration):
    return [
        (entry.action, entry.actor_kind, entry.actor)
        for entry in RegistrationLog.objects.filter(registration=registration).order_by("pk")
    ]


@pytest.mark.parametrize("surface", [web_book, api_book])
def test_a_public_booking_is_recorded_as_the_persons_doing(client, sub_event, surface):
    surface(client, sub_event)
    registration = Registration.objects.get()
    assert history(registration) == [("created", "person", None)]
    entry = RegistrationLog.objects.get()
    assert entry.detail["status"] == "confirmed"
    assert entry.detail["source"] == ("web" if surface is web_book else "api")


def test_a_staff_booking_is_recorded_with_the_staff_member(admin_client, superuser, sub_event):
    admin_book(admin_client, sub_event)
    assert history(Registration.objects.get()) == [("created", "staff", superuser)]


@pytest.mark.parametrize("cancel", [web_cancel, api_cancel])
def test_cancelling_and_the_promotion_it_causes_are_recorded(client, cancel, book):
    sub_event = factories.SubEventFactory(capacity=1)
    first = book(sub_event)
    waiting = book(sub_event, phone="13900139000").registration
    cancel(client, first)
    assert history(first.registration) == [
        ("created", "person", None),
        ("cancelled", "person", None),
    ]
    assert history(waiting)[-1] == ("promoted", "system", None)


def test_scheduler_promotions_are_recorded_as_the_systems(sub_event, book):
    sub_event.capacity = 1
    sub_event.save()
    book(sub_event)
    waiting = book(sub_event, phone="13900139000").registration
    # Places opened without a cancellation (a release time passed): the scheduler's turn.
    Registration.objects.filter(phone="13800138000").update(status="cancelled")
    call_command("promote_waitlists", stdout=io.StringIO())
    assert history(waiting)[-1] == ("promoted", "system", None)


def test_move_and_check_in_record_the_staff_member(superuser, book):
    source, target = factories.SubEventFactory.create_batch(2)
    registration = book(source).registration
    services.registration_move(
        registration=registration, to_sub_event_id=target.pk, by_staff=superuser
    )
    services.registration_check_in(registration=registration, by_staff=superuser)
    assert history(registration)[1:] == [
        ("moved", "staff", superuser),
        ("checked_in", "staff", superuser),
    ]
    moved = RegistrationLog.objects.get(action="moved")
    assert (moved.detail["from_sub_event"], moved.detail["to_sub_event"]) == (
        source.pk,
        target.pk,
    )


def test_a_refused_change_leaves_no_record(sub_event, book):
    booking = book(sub_event)
    started(sub_event)
    with pytest.raises(services.CancellationClosed):
        services.registration_cancel(registration=booking.registration)
    assert history(booking.registration) == [("created", "person", None)]


def test_staff_see_the_history_on_the_registration_page(admin_client, superuser, sub_event, book):
    booking = book(sub_event)
    services.registration_cancel(registration=booking.registration, by_staff=superuser)
    page = admin_client.get(
        reverse("admin:registrations_registration_change", args=[booking.registration.pk])
    ).content.decode()
    assert "the registrant" in page
    assert "cancelled" in page
    assert superuser.username in page


# --- one place at a time ----------------------------------------------------------------


def same_hour_pair(book):
    """Two activities at the same hour, the first booked by 138 0013 8000."""
    first = factories.SubEventFactory()
    second = factories.SubEventFactory(starts_at=first.starts_at + dt.timedelta(hours=1))
    book(first)
    return first, second


def refusal_of(response):
    if response["Content-Type"].startswith("application/json"):
        return response.status_code, response.json().get("code")
    errors = response.context["form"].errors
    field = "phone" if "phone" in errors else "__all__"
    return response.status_code, errors[field].as_data()[0].code


@pytest.mark.parametrize(
    ("surface", "expected"),
    [
        # Citizens' surfaces: the neutral answer until the number is verified.
        (web_book, (200, "refused")),
        (api_book, (409, "refused")),
        (admin_book, (200, "overlap")),
    ],
)
def test_an_overlapping_booking_is_refused_on_every_surface(admin_client, surface, expected, book):
    _, second = same_hour_pair(book)
    response = surface(admin_client, second)
    assert refusal_of(response) == expected
    assert not Registration.objects.filter(sub_event=second).exists()


@pytest.mark.parametrize("surface", [web_book, api_book, admin_book])
def test_back_to_back_activities_do_not_overlap(admin_client, surface, book):
    first = factories.SubEventFactory()
    book(first)
    after = factories.SubEventFactory(starts_at=first.ends_at)
    surface(admin_client, after)
    assert Registration.objects.filter(sub_event=after).exists()


def test_a_cancelled_place_or_activity_does_not_count(client, sub_event, book):
    first, second = same_hour_pair(book)
    services.registration_cancel(registration=Registration.objects.get(sub_event=first))
    api_book(client, second)
    assert Registration.objects.active().filter(sub_event=second).exists()


def test_staff_may_override_the_overlap_rule(admin_client, superuser, book):
    _, second = same_hour_pair(book)
    response = admin_book(admin_client, second, allow_overlap="on")
    assert response.status_code == 302
    registration = Registration.objects.get(sub_event=second)
    assert registration.created_by == superuser


def test_the_public_cannot_override_the_overlap_rule(book):
    _, second = same_hour_pair(book)
    with pytest.raises(services.OverlappingRegistration):
        book(second, allow_overlap=True)


@pytest.mark.parametrize("surface", [web_book, api_book, admin_book])
def test_the_setting_turns_the_overlap_rule_off(admin_client, settings, surface, book):
    settings.OPENDAY_REFUSE_OVERLAPPING = False
    _, second = same_hour_pair(book)
    surface(admin_client, second)
    assert Registration.objects.filter(sub_event=second).exists()


def test_moving_into_an_overlap_is_refused_unless_staff_override(admin_client, book):
    first, second = same_hour_pair(book)
    elsewhere = factories.SubEventFactory(starts_at=first.starts_at + dt.timedelta(days=1))
    moving = book(elsewhere).registration
    data = {
        "action": "move_registrations",
        "_selected_action": [moving.pk],
        "apply": "1",
        "to_sub_event": second.pk,
    }
    url = reverse("admin:registrations_registration_changelist")
    admin_client.post(url, data)
    moving.refresh_from_db()
    assert moving.sub_event == elsewhere
    admin_client.post(url, {**data, "allow_overlap": "on"})
    moving.refresh_from_db()
    assert moving.sub_event == second
