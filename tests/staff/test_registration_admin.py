import io
import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from openday.registrations.models import Registration, RegistrationLog
from openday.staff.models import ExportRecord, PhoneDisclosure
from tests import factories

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:registrations_registration_changelist"


def run_action(client, action, registrations, **extra):
    return client.post(
        reverse(CHANGELIST),
        {"action": action, ACTION_CHECKBOX_NAME: [r.pk for r in registrations], **extra},
        follow=True,
    )


def test_cancel_action_promotes_waiting_list_and_is_in_history(client, city_organiser):
    activity = factories.SubEventFactory(capacity=1)
    confirmed = factories.RegistrationFactory(sub_event=activity)
    waiting = factories.RegistrationFactory(
        sub_event=activity, status=Registration.Status.WAITLISTED
    )
    client.force_login(city_organiser)
    run_action(client, "cancel_registrations", [confirmed])
    confirmed.refresh_from_db()
    waiting.refresh_from_db()
    assert confirmed.status == Registration.Status.CANCELLED
    assert waiting.status == Registration.Status.CONFIRMED
    history = RegistrationLog.objects.order_by("pk")
    assert [(e.registration, e.action, e.actor) for e in history] == [
        (confirmed, "cancelled", city_organiser),
        (waiting, "promoted", city_organiser),
    ]
    page = client.get(
        reverse("admin:registrations_registration_change", args=[waiting.pk]),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "moved up from the waiting list" in page.content.decode()
    assert "city" in page.content.decode()


def test_check_in_action_marks_arrival(client, city_organiser):
    registration = factories.RegistrationFactory()
    client.force_login(city_organiser)
    run_action(client, "check_in_registrations", [registration])
    registration.refresh_from_db()
    assert registration.checked_in_at is not None


def test_resend_confirmation_sends_new_manage_link(
    client, city_organiser, django_capture_on_commit_callbacks
):
    registration = factories.RegistrationFactory(email="guest@example.com")
    cancelled = factories.RegistrationFactory(email="gone@example.com", status="cancelled")
    old_hash = registration.manage_token_hash
    client.force_login(city_organiser)
    with django_capture_on_commit_callbacks(execute=True):
        run_action(client, "resend_confirmation", [registration, cancelled])
    registration.refresh_from_db()
    assert registration.manage_token_hash != old_hash
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["guest@example.com"]
    # The new link is in the message, and the service recorded who sent it.
    new_link = re.search(r"/r/[\w-]+/", mail.outbox[0].body).group(0)
    assert client.get(new_link).status_code == 200
    entry = RegistrationLog.objects.get(registration=registration)
    assert (entry.action, entry.actor) == ("link_resent", city_organiser)


def test_move_action_moves_the_registration_keeping_its_reference(client, city_organiser):
    registration = factories.RegistrationFactory(party_size=2)
    reference = registration.reference
    target = factories.SubEventFactory(event=registration.sub_event.event)
    client.force_login(city_organiser)
    page = run_action(client, "move_registrations", [registration]).content.decode()
    assert "to_sub_event" in page
    run_action(client, "move_registrations", [registration], to_sub_event=target.pk, apply="1")
    moved = Registration.objects.get(sub_event=target, phone=registration.phone)
    assert moved.pk == registration.pk and moved.reference == reference
    assert moved.party_size == 2
    assert moved.status == Registration.Status.CONFIRMED


def test_move_action_to_full_activity_changes_nothing(client, city_organiser):
    registration = factories.RegistrationFactory()
    target = factories.SubEventFactory(capacity=0, waitlist_enabled=False)
    client.force_login(city_organiser)
    run_action(client, "move_registrations", [registration], to_sub_event=target.pk, apply="1")
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CONFIRMED
    assert not Registration.objects.filter(sub_event=target).exists()


def test_district_organiser_sees_masked_phone_only(client, district_organiser, two_districts):
    registration = two_districts["own"]["registration"]
    client.force_login(district_organiser)
    page = client.get(
        reverse("admin:registrations_registration_change", args=[registration.pk])
    ).content.decode()
    assert registration.masked_phone in page
    assert registration.phone not in page
    assert not PhoneDisclosure.objects.exists()


def test_full_phone_view_is_recorded(client, city_organiser):
    registration = factories.RegistrationFactory()
    client.force_login(city_organiser)
    page = client.get(
        reverse("admin:registrations_registration_change", args=[registration.pk])
    ).content.decode()
    assert registration.phone in page
    assert (
        PhoneDisclosure.objects.filter(user=city_organiser, registration=registration).count() == 1
    )


def test_changelist_never_shows_full_phone(client, city_organiser):
    registration = factories.RegistrationFactory()
    client.force_login(city_organiser)
    page = client.get(reverse(CHANGELIST)).content.decode()
    assert registration.masked_phone in page
    assert registration.phone not in page


def test_csv_export_follows_filter_and_is_recorded(client, district_organiser, two_districts):
    own = two_districts["own"]["registration"]
    factories.RegistrationFactory(
        sub_event=own.sub_event, status=Registration.Status.CANCELLED, name="赵六"
    )
    client.force_login(district_organiser)
    response = client.get(
        reverse("admin:registrations_registration_export", args=["csv"]),
        {"status__exact": "confirmed"},
    )
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert own.reference in body
    assert own.masked_phone in body and own.phone not in body
    assert "赵六" not in body
    record = ExportRecord.objects.get()
    assert (record.user, record.row_count, record.file_format, record.full_phone) == (
        district_organiser,
        1,
        "csv",
        False,
    )
    assert "status__exact=confirmed" in record.filters


def test_xlsx_export_has_full_phone_with_permission(client, city_organiser):
    registration = factories.RegistrationFactory(name="=HYPERLINK(1)")
    client.force_login(city_organiser)
    response = client.get(reverse("admin:registrations_registration_export", args=["xlsx"]))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert len(rows) == 2
    assert registration.phone in rows[1]
    assert "'=HYPERLINK(1)" in rows[1]
    assert ExportRecord.objects.get().full_phone is True


def test_export_with_bad_filter_redirects_with_message(client, city_organiser):
    client.force_login(city_organiser)
    response = client.get(
        reverse("admin:registrations_registration_export", args=["csv"]), {"nonsense": "1"}
    )
    assert response.status_code == 302
    assert not ExportRecord.objects.exists()


def test_registration_changelist_queries_do_not_grow(client, district_organiser, two_districts):
    client.force_login(district_organiser)
    activity = two_districts["own"]["subevent"]
    client.get(reverse(CHANGELIST))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse(CHANGELIST))
    invitation = two_districts["own"]["invitation"]
    for _ in range(12):
        factories.RegistrationFactory(sub_event=activity, invitation=invitation)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse(CHANGELIST))
    assert len(many) == len(few)
