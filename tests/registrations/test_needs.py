"""Accessibility needs: asked optionally on the form and the API, shown to staff where
they prepare (registration list, exports, door list), removed by the retention purge."""

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from openday.registrations.models import Registration
from tests import factories
from tests.registrations.test_views import form_data, register_url

pytestmark = pytest.mark.django_db


def test_form_records_needs_and_a_note(client, sub_event):
    data = form_data(needs=["wheelchair", "large_print"], needs_note="  需要 助听设备 ")
    response = client.post(register_url(sub_event), data)
    assert response.status_code == 302
    registration = Registration.objects.get()
    assert registration.needs == "wheelchair,large_print,other"
    assert registration.needs_note == "需要 助听设备"


def test_form_without_needs_books_as_before(client, sub_event):
    assert client.post(register_url(sub_event), form_data()).status_code == 302
    assert Registration.objects.get().needs == ""


def test_form_refuses_an_unknown_need_and_books_nothing(client, sub_event):
    response = client.post(register_url(sub_event), form_data(needs=["teleport"]))
    assert response.status_code == 200
    assert response.context["form"].errors["needs"]
    assert not Registration.objects.exists()


def test_api_records_needs(client, sub_event, settings):
    settings.OPENDAY_RATELIMIT = False
    body = {
        "name": "王芳",
        "phone": "13800138000",
        "consent": True,
        "needs": ["sign_language"],
    }
    response = client.post(
        f"/api/v1/subevents/{sub_event.pk}/registrations",
        data=json.dumps(body),
        content_type="application/json",
    )
    assert response.status_code == 201
    assert Registration.objects.get().needs == "sign_language"


def test_api_refuses_an_unknown_need_with_422(client, sub_event, settings):
    settings.OPENDAY_RATELIMIT = False
    body = {"name": "王芳", "phone": "13800138000", "consent": True, "needs": ["x"]}
    response = client.post(
        f"/api/v1/subevents/{sub_event.pk}/registrations",
        data=json.dumps(body),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert not Registration.objects.exists()


def test_staff_see_needs_in_the_registration_list(admin_client, sub_event):
    factories.RegistrationFactory(sub_event=sub_event, needs="wheelchair")
    factories.RegistrationFactory(sub_event=sub_event, phone="13900000000")
    url = reverse("admin:registrations_registration_changelist")
    response = admin_client.get(url, {"needs": "wheelchair"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
    assert "wheelchair access" in response.content.decode()


def test_purge_removes_needs_with_the_rest(db):
    ended = timezone.now() - dt.timedelta(days=400)
    old = factories.SubEventFactory(starts_at=ended - dt.timedelta(hours=2), ends_at=ended)
    factories.RegistrationFactory(sub_event=old, needs="other", needs_note="导盲犬")
    call_command("purge_personal_data", stdout=StringIO())
    registration = Registration.objects.get()
    assert (registration.needs, registration.needs_note) == ("", "")
