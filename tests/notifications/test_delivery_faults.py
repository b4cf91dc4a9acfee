"""Fault tests for the delivery records (#16): a gateway answering temporary errors and
then recovering, and a real `manage.py task_worker` process killed (SIGKILL) in the
middle of a batch of sends and started again. At the end every record is `sent`, the
gateway and the mail server got every message, and a message reached them twice only
in the one window no record can close: the gateway took it in the instant before the
kill, and the worker never wrote that down. Duplicates are counted, printed and held to
that window.

The workers are separate processes sharing the test database, so this needs PostgreSQL
(SQLite's test database lives in the memory of this process)."""

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from bench.parts import SmtpServer
from openday.notifications import services as notify
from openday.notifications.kinds import PARAMETERS
from openday.notifications.models import Notification
from openday.notifications.sms.testing import TencentSmsDouble
from tests import factories
from tests.conftest import requires_postgres

pytestmark = [pytest.mark.django_db(transaction=True), requires_postgres]

ROOT = Path(settings.BASE_DIR)
KEY_ID, SECRET, APP_ID, SIGN = "AKIDfaults0001", "faults-secret", "1400000009", "开放日"
LEASE_SECONDS = 5


@pytest.fixture
def gateway():
    templates = {f"T-{kind}": len(params) for kind, params in PARAMETERS.items()}
    with TencentSmsDouble(
        app_id=APP_ID, key_id=KEY_ID, key_secret=SECRET, sign_name=SIGN, templates=templates
    ) as double:
        yield double


@pytest.fixture
def smtp():
    server = SmtpServer()
    yield server
    server.close()


@pytest.fixture
def queue(settings, gateway, smtp):
    """This process records and queues; the workers send, configured alike."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    database = connection.settings_dict
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL=(
            f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST']}:"
            f"{database['PORT'] or 5432}/{database['NAME']}"
        ),
        TASKS_BACKEND="database",
        OPENDAY_SMS_BACKEND="tencent",
        OPENDAY_SMS_ENDPOINT=gateway.url,
        OPENDAY_SMS_KEY_ID=KEY_ID,
        OPENDAY_SMS_KEY_SECRET=SECRET,
        OPENDAY_SMS_APP_ID=APP_ID,
        OPENDAY_SMS_SIGN_NAME=SIGN,
        OPENDAY_SMS_TEMPLATES=json.dumps({kind: f"T-{kind}" for kind in PARAMETERS}),
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp.port),
        EMAIL_USE_TLS="false",
        EMAIL_TIMEOUT="2",
        # Quick retries, leases and rounds of send_due, so the test takes seconds.
        OPENDAY_MESSAGE_RETRY_SECONDS="1",
        OPENDAY_TASK_LEASE_SECONDS=str(LEASE_SECONDS),
        OPENDAY_SEND_DUE_SECONDS="1",
    )
    return env


class Worker:
    """`manage.py task_worker` in a process of its own, as systemd runs it."""

    def __init__(self, env, worker_id="faults-worker"):
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "task_worker", "--interval", "0.1"]
            + ["--no-startup-delay", "--no-reload", "--worker-id", worker_id, "-v", "0"],
            cwd=ROOT,
            env=env,
        )

    def kill(self):
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_for(condition, seconds: float, what: str, *, poll: float = 0.05):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(poll)
    pytest.fail(f"not within {seconds} s: {what}")


def book(count: int, tag: str, *, email: bool) -> list[Notification]:
    """`count` confirmed bookings told as the booking service tells them."""
    sub_event = factories.SubEventFactory(capacity=count)
    for n in range(count):
        registration = factories.RegistrationFactory(
            sub_event=sub_event,
            phone=f"139{tag}{n:05d}",
            email=f"{tag}-{n}@example.com" if email else "",
        )
        notify.notify_booked(registration)  # queued once it commits (autocommit here)
    return list(Notification.objects.filter(registration__sub_event=sub_event))


def sms_received(gateway) -> Counter:
    return Counter(message["key"] for message in list(gateway.accepted))


def test_temporary_errors_and_a_killed_worker_lose_nothing_and_duplicate_only_in_flight(
    queue, gateway, smtp
):
    # 1. The gateway refuses for now (rate limited) until each message was tried once.
    gateway.fail("rate_limited")
    first = book(20, "001", email=False)
    worker = Worker(queue)
    try:
        wait_for(lambda: gateway.requests >= len(first), 60, "every message tried once")
        gateway.fail(None)  # it recovers: the retries go through
        wait_for(
            lambda: Notification.objects.filter(status="sent").count() == len(first),
            60,
            "the retried messages sent",
        )
        assert Notification.objects.filter(attempts__gt=1).count() >= len(first)

        # 2. A batch of texts and e-mails; the worker is killed half-way through it.
        gateway.delay = 0.1  # each text takes a moment: the kill lands mid-send
        second = book(30, "002", email=True)
        keys = {row.idempotency_key for row in second if row.channel == "sms"}
        # Killed the instant the gateway took the eighth text, most often before the
        # worker could record it: the window in which a message goes out twice.
        wait_for(
            lambda: len(keys & set(sms_received(gateway))) >= 8,
            60,
            "the batch under way",
            poll=0.001,
        )
        worker.kill()
    finally:
        worker.stop()
    in_flight = Notification.objects.filter(status="sending").count()
    unsent = Notification.objects.exclude(status="sent").count()

    # 3. Its successor (same worker ID, as systemd restarts it) finishes the work.
    successor = Worker(queue)
    try:
        wait_for(
            lambda: not Notification.objects.exclude(status="sent").exists(),
            90,
            "every message sent after the restart",
        )
        time.sleep(1)  # anything sent twice has a moment to arrive
    finally:
        successor.stop()

    rows = list(Notification.objects.values_list("idempotency_key", "channel", "status"))
    assert len(rows) == len(first) + len(second)  # one record per message
    assert {status for _key, _channel, status in rows} == {"sent"}
    texts = sms_received(gateway)
    sms_keys = {key for key, channel, _status in rows if channel == "sms"}
    assert set(texts) == sms_keys  # none lost, nothing unknown
    mails = Counter(smtp.recipients())
    addresses = {f"002-{n}@example.com" for n in range(30)}
    assert set(mails) == addresses
    duplicated = sum(n - 1 for n in texts.values()) + sum(n - 1 for n in mails.values())
    print(
        f"\n{len(rows)} messages ({len(sms_keys)} texts, {len(addresses)} e-mails): "
        f"{unsent} not yet sent when the worker was killed, {in_flight} in flight; "
        f"all sent after the restart; received twice: {duplicated}"
    )
    # Only a message in flight at the kill may have reached its gateway twice.
    assert duplicated <= in_flight
