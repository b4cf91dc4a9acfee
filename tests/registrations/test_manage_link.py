"""The manage link is derived, never stored: every message can carry it again, and the
database, the cache and the task queue hold nothing that opens a registration."""

import pytest
from django.core import mail
from django.db import connection
from django.test import override_settings

from openday.notifications.delivery import deliver_notifications
from openday.notifications.models import Notification
from openday.registrations import manage_link, services
from openday.registrations.models import Registration
from tests import factories

pytestmark = pytest.mark.django_db


def book(sub_event, **fields):
    fields = {"name": "李雷", "phone": "13800138000", "party_size": 1} | fields
    return services.registration_create(sub_event_id=sub_event.pk, **fields)


def test_tokens_carry_256_bits_and_differ_per_registration():
    tokens = {manage_link.new_link()[1] for _ in range(500)}
    assert len(tokens) == 500
    assert all(len(token) == 43 for token in tokens)


def test_the_link_is_derived_again_and_opens_the_ticket(client):
    sub_event = factories.SubEventFactory()
    booking = book(sub_event)
    registration = Registration.objects.get()
    assert manage_link.token_for(registration) == booking.token
    assert manage_link.manage_path(registration) == booking.manage_url
    assert client.get(manage_link.manage_path(registration)).status_code == 200


def test_no_row_anywhere_holds_the_token():
    sub_event = factories.SubEventFactory()
    booking = book(sub_event, idempotency_key="repeat-me")
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            columns = connection.introspection.get_table_description(cursor, table)
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608 (table names from Django)
            for row in cursor.fetchall():
                assert booking.token not in " ".join(map(str, row)), (table, columns)


def test_a_wrong_token_or_removed_data_opens_nothing(client):
    sub_event = factories.SubEventFactory()
    booking = book(sub_event)
    assert not manage_link.lookup(booking.token[:-1] + "x").exists()
    assert not manage_link.lookup("").exists()
    assert not manage_link.lookup("a" * 5000).exists()
    Registration.objects.update(anonymised_at="2026-01-01T00:00:00Z")
    assert not manage_link.lookup(booking.token).exists()
    assert manage_link.manage_path(Registration.objects.get()) == ""
    assert client.get(booking.manage_url).status_code == 404


def test_a_new_link_ends_the_old_one(client):
    sub_event = factories.SubEventFactory()
    booking = book(sub_event, email="li@example.com")
    registration = Registration.objects.get()
    assert services.registration_resend_link(registration=registration)
    registration.refresh_from_db()
    assert client.get(booking.manage_url).status_code == 404
    assert client.get(manage_link.manage_path(registration)).status_code == 200


def test_links_survive_a_rotated_secret_key(client, settings):
    sub_event = factories.SubEventFactory()
    booking = book(sub_event)
    old_key = settings.SECRET_KEY
    with override_settings(SECRET_KEY="x" * 60, SECRET_KEY_FALLBACKS=[old_key]):
        registration = Registration.objects.get()
        assert manage_link.token_for(registration) == booking.token
        assert client.get(booking.manage_url).status_code == 200
    with override_settings(SECRET_KEY="y" * 60, SECRET_KEY_FALLBACKS=[]):
        assert manage_link.token_for(Registration.objects.get()) is None


def test_the_mail_task_carries_no_token_and_the_message_has_a_working_link(client, settings):
    settings.OPENDAY_BASE_URL = "https://openday.example.cn"
    sub_event = factories.SubEventFactory()
    booking = book(sub_event, email="li@example.com")
    records = Notification.objects.all()
    assert all(booking.token not in str(record.params) for record in records)
    deliver_notifications.call([record.pk for record in records])
    link = f"https://openday.example.cn{booking.manage_url}"
    assert any(link in message.body for message in mail.outbox)
    assert client.get(booking.manage_url).status_code == 200
