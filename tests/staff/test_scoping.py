"""District scoping: every role against every scoped model and every way in (changelist,
change/history/delete by guessed id, sidebar filters, autocomplete, exports, forged POST)."""

import pytest
from django.urls import reverse

from openday.registrations.models import Registration

pytestmark = pytest.mark.django_db

SCOPED = [
    ("events", "subevent"),
    ("events", "invitation"),
    ("events", "district"),
    ("registrations", "registration"),
    ("feedback", "feedback"),
]


def change_url(app, model, obj):
    return reverse(f"admin:{app}_{model}_change", args=[obj.pk])


@pytest.mark.parametrize(("app", "model"), SCOPED)
def test_changelist_district_organiser_sees_only_own_district(
    client, district_organiser, two_districts, app, model
):
    client.force_login(district_organiser)
    response = client.get(reverse(f"admin:{app}_{model}_changelist"))
    assert response.status_code == 200
    page = response.content.decode()
    assert change_url(app, model, two_districts["own"][model]) in page
    assert change_url(app, model, two_districts["other"][model]) not in page


@pytest.mark.parametrize(("app", "model"), SCOPED)
def test_changelist_city_organiser_sees_every_district(
    client, city_organiser, two_districts, app, model
):
    client.force_login(city_organiser)
    page = client.get(reverse(f"admin:{app}_{model}_changelist")).content.decode()
    assert change_url(app, model, two_districts["own"][model]) in page
    assert change_url(app, model, two_districts["other"][model]) in page


@pytest.mark.parametrize(("app", "model"), SCOPED)
@pytest.mark.parametrize("view", ["change", "history", "delete"])
def test_guessed_id_of_other_district_is_not_found(
    client, district_organiser, two_districts, app, model, view
):
    client.force_login(district_organiser)
    other = two_districts["other"][model]
    response = client.get(reverse(f"admin:{app}_{model}_{view}", args=[other.pk]))
    assert response.status_code in {302, 403, 404}
    assert str(other) not in response.content.decode()


@pytest.mark.parametrize(("app", "model"), SCOPED)
def test_own_object_change_page_opens_for_district_organiser(
    client, district_organiser, two_districts, app, model
):
    client.force_login(district_organiser)
    response = client.get(change_url(app, model, two_districts["own"][model]))
    assert response.status_code == 200


@pytest.mark.parametrize(("app", "model"), SCOPED)
def test_volunteer_cannot_open_admin_lists(client, volunteer, app, model):
    client.force_login(volunteer)
    assert client.get(reverse(f"admin:{app}_{model}_changelist")).status_code == 403


@pytest.mark.parametrize(
    ("app", "model"),
    [("registrations", "registration"), ("events", "invitation"), ("events", "subevent")],
)
def test_list_filters_do_not_name_other_districts(
    client, district_organiser, two_districts, app, model
):
    client.force_login(district_organiser)
    page = client.get(reverse(f"admin:{app}_{model}_changelist")).content.decode()
    assert two_districts["own"]["district"].name in page
    assert two_districts["other"]["district"].name not in page
    assert two_districts["other"]["subevent"].title not in page


def test_filter_by_other_district_id_shows_nothing(client, district_organiser, two_districts):
    client.force_login(district_organiser)
    other = two_districts["other"]["subevent"]
    response = client.get(
        reverse("admin:registrations_registration_changelist"),
        {"sub_event__id__exact": other.pk},
    )
    assert two_districts["other"]["registration"].reference not in response.content.decode()


@pytest.mark.parametrize(
    ("app", "model", "field"),
    [
        ("registrations", "registration", "sub_event"),
        ("events", "invitation", "sub_event"),
        ("events", "subevent", "district"),
        ("feedback", "feedback", "sub_event"),
    ],
)
def test_autocomplete_offers_only_own_district(
    client, district_organiser, two_districts, app, model, field
):
    client.force_login(district_organiser)
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": app, "model_name": model, "field_name": field, "term": ""},
    )
    assert response.status_code == 200
    ids = {item["id"] for item in response.json()["results"]}
    target = "district" if field == "district" else "subevent"
    assert ids == {str(two_districts["own"][target].pk)}


def test_search_by_phone_stays_in_own_district(client, district_organiser, two_districts):
    client.force_login(district_organiser)
    other = two_districts["other"]["registration"]
    response = client.get(
        reverse("admin:registrations_registration_changelist"),
        {"q": f"+86 {other.phone[:3]} {other.phone[3:7]} {other.phone[7:]}"},
    )
    assert other.reference not in response.content.decode()


def test_search_by_phone_any_spelling_finds_registration(client, city_organiser, two_districts):
    client.force_login(city_organiser)
    own = two_districts["own"]["registration"]
    response = client.get(
        reverse("admin:registrations_registration_changelist"),
        {"q": f"{own.phone[:3]}-{own.phone[3:7]}-{own.phone[7:]}"},
    )
    assert own.reference in response.content.decode()


def test_search_by_the_last_digits_still_finds_registration(client, city_organiser, two_districts):
    client.force_login(city_organiser)
    own = two_districts["own"]["registration"]
    response = client.get(
        reverse("admin:registrations_registration_changelist"), {"q": own.phone[-4:]}
    )
    assert own.reference in response.content.decode()


def test_forged_post_for_other_district_activity_registers_nobody(
    client, district_organiser, two_districts
):
    client.force_login(district_organiser)
    other = two_districts["other"]["subevent"]
    response = client.post(
        reverse("admin:registrations_registration_add"),
        {"sub_event": other.pk, "name": "李雷", "phone": "13900001111", "party_size": 1},
    )
    assert response.status_code == 200
    assert not Registration.objects.filter(phone="13900001111").exists()


def test_district_organiser_cannot_create_city_wide_activity(
    client, district_organiser, two_districts
):
    client.force_login(district_organiser)
    own = two_districts["own"]["subevent"]
    response = client.post(
        reverse("admin:events_subevent_add"),
        {
            "event": own.event.pk,
            "title": "全市活动",
            "venue": own.venue.pk,
            "district": "",
            "starts_at_0": "2030-01-01",
            "starts_at_1": "09:00",
            "ends_at_0": "2030-01-01",
            "ends_at_1": "11:00",
            "capacity": 5,
            "max_party_size": 2,
            "agenda-TOTAL_FORMS": 0,
            "agenda-INITIAL_FORMS": 0,
            "invitations-TOTAL_FORMS": 0,
            "invitations-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert not own.event.sub_events.filter(title="全市活动").exists()


def test_export_contains_only_own_district(client, district_organiser, two_districts):
    client.force_login(district_organiser)
    response = client.get(reverse("admin:registrations_registration_export", args=["csv"]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert two_districts["own"]["registration"].reference in body
    assert two_districts["other"]["registration"].reference not in body


def test_export_by_volunteer_is_forbidden(client, volunteer):
    client.force_login(volunteer)
    response = client.get(reverse("admin:registrations_registration_export", args=["csv"]))
    assert response.status_code == 403


@pytest.mark.parametrize(("app", "model"), SCOPED)
def test_city_organiser_opens_any_district_object(
    client, city_organiser, two_districts, app, model
):
    client.force_login(city_organiser)
    response = client.get(change_url(app, model, two_districts["other"][model]))
    assert response.status_code == 200


def test_volunteer_check_in_post_for_unassigned_activity_changes_nothing(
    client, volunteer, two_districts
):
    other = two_districts["other"]
    client.force_login(volunteer)
    response = client.post(
        reverse("staff:checkin"),
        {"sub_event": other["subevent"].pk, "reference": other["registration"].reference},
    )
    assert response.status_code == 404
    other["registration"].refresh_from_db()
    assert other["registration"].checked_in_at is None


def test_district_organiser_checks_in_only_own_districts(client, district_organiser, two_districts):
    client.force_login(district_organiser)
    own = client.get(reverse("staff:checkin"), {"sub_event": two_districts["own"]["subevent"].pk})
    other = client.get(
        reverse("staff:checkin"), {"sub_event": two_districts["other"]["subevent"].pk}
    )
    assert (own.status_code, other.status_code) == (200, 404)
