"""The task worker and the confirmation e-mail when parts fail: a mail server that
refuses or rejects, a worker killed in the middle of a task, a database that goes away.
(bench/faults.py does the same with real processes killed and servers hanging.)"""

import datetime as dt
import logging

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from bench.parts import SmtpServer, free_port
from openday.core.worker import SupervisedWorker
from openday.notifications import delivery
from openday.notifications.models import Notification
from openday.notifications.services import activity_params
from tests import factories

# The worker commits as it goes and closes connections between tasks, as in production:
# inside a test's transaction on PostgreSQL that would close the test's own connection.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.OPENDAY_MESSAGE_RETRY_SECONDS = 30


@pytest.fixture
def smtp(settings):
    server = SmtpServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 2
    yield server
    server.close()


@pytest.fixture
def registration(db):
    # No phone: these tests are about the e-mail.
    return factories.RegistrationFactory(email="wang@example.com", phone="")


def run_worker(worker_id="worker-1"):
    call_command(
        "task_worker", "--batch", "--no-startup-delay", "--no-reload", "--worker-id", worker_id
    )


def enqueue(registration):
    """The confirmation e-mail as the booking records it, handed to the queue."""
    record = Notification.objects.create(
        registration=registration,
        kind="booking_confirmed",
        channel="email",
        params=activity_params(registration, reference=True),
        idempotency_key=f"test:{Notification.objects.count()}",
    )
    delivery.enqueue([record.pk])


def statuses():
    return sorted(DBTaskResult.objects.values_list("status", flat=True))


def test_refused_mail_is_tried_again_later_and_sent_once(queue, smtp, registration):
    enqueue(registration)
    smtp.mode = "refuse"
    run_worker()
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.run_after > timezone.now() + dt.timedelta(seconds=20)
    record = Notification.objects.get()
    assert (record.status, record.attempts) == ("retrying", 1)
    assert smtp.recipients() == []
    smtp.mode = "accept"
    # The wait passes.
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    Notification.objects.update(send_after=timezone.now())
    run_worker()
    assert smtp.recipients() == ["wang@example.com"]
    assert statuses() == ["SUCCESSFUL", "SUCCESSFUL"]


def test_unreachable_mail_server_is_tried_again(queue, settings, registration):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    enqueue(registration)
    run_worker()
    assert statuses() == ["READY", "SUCCESSFUL"]


def test_a_permanent_refusal_is_not_retried(queue, smtp, registration):
    smtp.mode = "reject"
    enqueue(registration)
    run_worker()
    assert statuses() == ["SUCCESSFUL"]
    assert Notification.objects.get().status == "failed"


def test_a_task_left_running_by_a_killed_worker_is_run_again_by_its_successor(
    queue, smtp, registration
):
    enqueue(registration)
    # What a worker killed in the middle of the task leaves behind.
    DBTaskResult.objects.get().claim("worker-1")
    run_worker("worker-1")
    assert smtp.recipients() == ["wang@example.com"]
    assert statuses() == ["SUCCESSFUL"]


def test_an_expired_claim_of_another_worker_is_taken_back(queue, smtp, registration, settings):
    settings.OPENDAY_TASK_LEASE_SECONDS = 60
    enqueue(registration)
    task = DBTaskResult.objects.get()
    task.claim("dead-worker")
    DBTaskResult.objects.update(started_at=timezone.now() - dt.timedelta(minutes=5))
    run_worker("worker-2")
    assert smtp.recipients() == ["wang@example.com"]


def test_a_task_another_worker_is_running_is_left_alone(queue, smtp, registration):
    enqueue(registration)
    DBTaskResult.objects.get().claim("busy-worker")
    run_worker("worker-2")
    assert smtp.recipients() == []
    assert statuses() == ["RUNNING"]


class FailingFor:
    """The database refuses the next `count` queries, then answers again."""

    def __init__(self, count: int):
        self.left = count

    def __call__(self, execute, sql, params, many, context):
        if self.left > 0:
            self.left -= 1
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)


def test_the_worker_outlives_a_database_outage(queue, smtp, registration, monkeypatch, caplog):
    monkeypatch.setattr(SupervisedWorker, "outage_waits", (0.01, 0.02))
    enqueue(registration)
    enqueue(registration)
    caplog.set_level(logging.INFO, logger="openday.worker")
    with connection.execute_wrapper(FailingFor(6)):
        run_worker()
    assert sorted(smtp.recipients()) == ["wang@example.com"] * 2
    assert statuses() == ["SUCCESSFUL", "SUCCESSFUL"]
    unavailable = [r for r in caplog.records if "database unavailable" in r.getMessage()]
    assert len(unavailable) == 1


def test_a_hanging_mail_server_delays_the_message_and_sends_it_once(
    queue, smtp, settings, registration
):
    settings.EMAIL_TIMEOUT = 1
    smtp.mode = "hang"
    enqueue(registration)
    run_worker()
    assert Notification.objects.get().status == "retrying"
    assert smtp.recipients() == []
    smtp.mode = "accept"
    # The wait passes.
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    Notification.objects.update(send_after=timezone.now())
    run_worker()
    run_worker()
    assert smtp.recipients() == ["wang@example.com"]
    record = Notification.objects.get()
    assert (record.status, record.attempts) == ("sent", 2)
