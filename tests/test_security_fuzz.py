"""Hostile input at the public endpoints that exist so far, and at the staff login: never
a 5xx, never a change in the database for a refused request."""

from urllib.parse import quote

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openday.registrations.models import Registration
from tests import factories
from tests.fuzz import hostile_text

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
