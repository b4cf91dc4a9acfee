"""Hostile input at every public form and page, every API endpoint and the staff login:
never a 5xx, never a change in the database for a refused request."""

import json
from urllib.parse import quote

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openday.feedback.models import Feedback
from openday.registrations.models import Registration
from tests import factories
from tests.fuzz import hostile_text, json_values

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(token=hostile_text())
def test_manage_page_answers_any_token_without_error(client, token):
    registration = factories.RegistrationFactory()
    before = Registration.objects.values_list("pk", "status", "phone").get(pk=registration.pk)
    response = client.get(f"/r/{quote(token, safe='')}/", secure=True)
    assert response.status_code in {301, 404}
    assert (
        Registration.objects.values_list("pk", "status", "phone").get(pk=registration.pk) == before
    )


@FUZZ
@given(params=st.dictionaries(hostile_text(20), hostile_text(), max_size=4))
def test_programme_answers_any_query_without_error(client, params):
    response = client.get("/", params, secure=True)
    assert response.status_code < 500


@FUZZ
@given(language=hostile_text(), next_url=hostile_text())
def test_language_switch_answers_anything_and_stays_on_site(client, language, next_url):
    response = client.post("/i18n/setlang/", {"language": language, "next": next_url}, secure=True)
    assert response.status_code < 500
    location = response.get("Location", "")
    assert not location.startswith(("//", "http:", "https:")) or "testserver" in location


@FUZZ
@given(username=hostile_text(), password=hostile_text())
def test_staff_login_answers_any_credentials_without_error(client, username, password):
    users = get_user_model().objects.count()
    response = client.post(
        "/admin/login/", {"username": username, "password": password}, secure=True
    )
    assert response.status_code in {200, 429}
    assert "_auth_user_id" not in client.session
    assert get_user_model().objects.count() == users
    AccessAttempt.objects.all().delete()


# --- Booking, suggestions, manage pages and the API ------------------------------------

FIELDS = ("name", "phone", "email", "party_size", "invitation_code", "consent", "form_token")


def registration_rows():
    return list(Registration.objects.order_by("pk").values_list("pk", "status", "phone", "name"))


@pytest.fixture
def no_limits(settings):
    # The fuzzers send far more requests than the limits allow; without limits every
    # request reaches the code under test.
    settings.OPENDAY_RATELIMIT = False


@FUZZ
@given(form=st.fixed_dictionaries({}, optional={field: hostile_text() for field in FIELDS}))
def test_registration_form_answers_any_input_without_error(client, no_limits, form):
    sub_event = factories.SubEventFactory()
    before = registration_rows()
    response = client.post(
        f"/events/{sub_event.event.slug}/activities/{sub_event.pk}/register/", form, secure=True
    )
    assert response.status_code in {200, 302}
    if response.status_code == 200:
        assert registration_rows() == before


@FUZZ
@given(pending=hostile_text(), code=hostile_text(), action=hostile_text(20))
def test_registration_code_step_answers_any_input_without_error(
    client, no_limits, settings, sms_outbox, pending, code, action
):
    settings.OPENDAY_PHONE_VERIFICATION = True
    sub_event = factories.SubEventFactory()
    before = registration_rows()
    response = client.post(
        f"/events/{sub_event.event.slug}/activities/{sub_event.pk}/register/",
        {"pending": pending, "code": code, "action": action},
        secure=True,
    )
    assert response.status_code == 200
    assert registration_rows() == before
    assert sms_outbox == []


@FUZZ
@given(
    form=st.fixed_dictionaries(
        {},
        optional={
            field: hostile_text()
            for field in (
                "category",
                "district",
                "text",
                "rating",
                "contact_name",
                "contact_phone",
                "contact_email",
                "contact_consent",
                "website",
            )
        },
    )
)
def test_suggestion_form_answers_any_input_without_error(client, no_limits, form):
    event = factories.EventFactory()
    before = Feedback.objects.count()
    response = client.post(f"/feedback/{event.slug}/suggest/", form, secure=True)
    assert response.status_code in {200, 302, 429}
    if response.status_code != 302:
        assert Feedback.objects.count() == before


@FUZZ
@given(token=hostile_text(), page=st.sampled_from(["", "cancel/", "delete/", "calendar.ics"]))
def test_manage_pages_answer_any_token_and_method_without_error(client, no_limits, token, page):
    registration = factories.RegistrationFactory()
    before = registration_rows()
    url = f"/r/{quote(token, safe='')}/{page}"
    for method in (client.get, client.post):
        response = method(url, secure=True)
        assert response.status_code in {301, 404, 405}
    assert registration_rows() == before
    assert Registration.objects.get(pk=registration.pk).anonymised_at is None


API_POSTS = [
    "/api/v1/subevents/{id}/registrations",
    "/api/v1/verifications",
    "/api/v1/registrations/{token}/cancel",
]
API_GETS = [
    "/api/v1/events",
    "/api/v1/events/{text}",
    "/api/v1/subevents",
    "/api/v1/subevents/{text}",
    "/api/v1/registrations/{text}",
]


@FUZZ
@given(body=json_values, path=st.sampled_from(API_POSTS), token=hostile_text(40))
def test_api_posts_answer_any_json_without_error(
    client, no_limits, sms_outbox, settings, body, path, token
):
    settings.OPENDAY_PHONE_VERIFICATION = False
    sub_event = factories.SubEventFactory()
    before = registration_rows()
    url = path.format(id=sub_event.pk, token=quote(token, safe="") or "x")
    response = client.post(url, json.dumps(body), content_type="application/json", secure=True)
    assert response.status_code < 500
    if response.status_code >= 400:
        assert registration_rows() == before
    if response.status_code != 404:
        # (A token with "/" in it misses the API's routes: Django's own 404 page.)
        assert response["Content-Type"].startswith("application/json")


@FUZZ
@given(
    path=st.sampled_from(API_GETS),
    text=hostile_text(60),
    params=st.dictionaries(hostile_text(20), hostile_text(60), max_size=4),
)
def test_api_gets_answer_any_path_and_query_without_error(client, path, text, params):
    factories.SubEventFactory()
    url = path.format(text=quote(text, safe="") or "x")
    response = client.get(url, params, secure=True)
    assert response.status_code < 500
