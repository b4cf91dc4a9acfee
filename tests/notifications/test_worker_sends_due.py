"""The task worker does `send_due_notifications`' work itself, so an operator without
cron still gets reminders; of several workers on PostgreSQL, one at a time does it."""

import datetime as dt

import psycopg2
import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from openday.notifications.services import SEND_DUE_LOCK, send_due_exclusively
from tests import factories
from tests.conftest import requires_postgres

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    # Reminders are not urgent: no quiet hours, whatever the hour of the test.
    settings.OPENDAY_QUIET_HOURS_START = settings.OPENDAY_QUIET_HOURS_END = 0


@pytest.fixture
def due_reminder(db):
    starts = timezone.now() + dt.timedelta(hours=2)
    sub_event = factories.SubEventFactory(starts_at=starts, ends_at=starts + dt.timedelta(hours=2))
    return factories.RegistrationFactory(sub_event=sub_event, phone="13800138000")


def run_worker():
    call_command("task_worker", "--batch", "--no-startup-delay", "--no-reload")


def test_the_worker_sends_a_due_reminder_without_cron(queue, sms_outbox, due_reminder):
    run_worker()
    assert [(m.kind, m.phone) for m in sms_outbox] == [("reminder", "13800138000")]
    run_worker()
    assert len(sms_outbox) == 1


def test_the_worker_leaves_it_to_cron_when_told(queue, settings, sms_outbox, due_reminder):
    settings.OPENDAY_SEND_DUE_SECONDS = 0
    run_worker()
    assert sms_outbox == []
    call_command("send_due_notifications")
    run_worker()
    assert [m.kind for m in sms_outbox] == ["reminder"]


@requires_postgres
def test_one_worker_at_a_time_sends_what_is_due(queue, sms_outbox, due_reminder):
    params = connection.get_connection_params()
    other = psycopg2.connect(**params)
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [SEND_DUE_LOCK])
        assert send_due_exclusively() is None
        run_worker()
        assert sms_outbox == []
    finally:
        # Unlocked before closing: PostgreSQL drops the lock of a closed connection only
        # once its backend has ended, which can come after the next line.
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [SEND_DUE_LOCK])
        other.close()
    assert send_due_exclusively()["reminders"] == 1
