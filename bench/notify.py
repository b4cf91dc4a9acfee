"""Reminders at scale: COUNT registrations of an activity that starts in 12 hours, so that
all their reminders fall due at once; two `send_due_notifications` at the same moment
record and queue them; N `db_worker` processes deliver them through the local Tencent
Cloud SMS test double (signatures checked, over HTTP), with PostgreSQL.

    .venv/bin/python bench/notify.py [--count 20000] [--workers 4] [--keep]

Prints the time to record and queue the reminders, the delivery rate (messages/s from
the first worker's start to the last one's exit), the peak resident memory of a worker,
and "sent exactly once: N" after checking both the delivery records and what the double
accepted (every number once, no number twice). Exits non-zero when any message is
missing or duplicated.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    PYTHON,
    ROOT,
    create_database,
    drop_database,
    machine,
    manage,
    server_environment,
)

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/openday_bench_notify"

SETUP = """
import datetime as dt
from django.utils import timezone
from openday.events.models import Event, SubEvent, Venue
from openday.registrations import manage_link
from openday.registrations.models import Registration, new_reference
count = COUNT
start = timezone.now() + dt.timedelta(hours=12)
event = Event.objects.create(title="bench", slug="bench-notify", starts_on=start.date(),
                             ends_on=start.date(), is_published=True)
venue = Venue.objects.create(name="五四广场", slug="bench-venue", address="bench")
sub_event = SubEvent.objects.create(event=event, venue=venue, title="城管执法体验日",
    starts_at=start, ends_at=start + dt.timedelta(hours=2), capacity=count,
    max_party_size=1, is_published=True)
Registration.objects.bulk_create(
    [Registration(sub_event=sub_event, name=f"来宾{n}", phone=f"139{n:08d}",
                  reference=new_reference(), **manage_link.new_link()[0])
     for n in range(count)],
    batch_size=2000)
"""

COUNT_SQL = """
SELECT status, count(*) FROM notifications_notification WHERE kind = 'reminder' GROUP BY status
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    return parser.parse_args()


def start_double() -> tuple[subprocess.Popen, dict[str, str]]:
    """The Tencent Cloud double in a process of its own; its printed settings."""
    process = subprocess.Popen(
        [PYTHON, "-m", "openday.notifications.sms.testing", "tencent"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    settings = {}
    while len(settings) < 7:
        line = process.stdout.readline()
        if not line:
            raise SystemExit("the SMS double did not start")
        name, _, value = line.strip().partition("=")
        settings[name] = value
    return process, settings


def accepted_by(double_url: str) -> list[dict]:
    connection = http.client.HTTPConnection(urlsplit(double_url).netloc, timeout=60)
    connection.request("GET", "/_double/accepted")
    accepted = json.loads(connection.getresponse().read())
    connection.close()
    return accepted


def psql_counts(env) -> dict[str, int]:
    import psycopg2

    connection = psycopg2.connect(DATABASE_URL)
    with connection, connection.cursor() as cursor:
        cursor.execute(COUNT_SQL)
        counts = dict(cursor.fetchall())
    connection.close()
    return counts


def main() -> int:
    args = parse_args()
    print(f"machine: {machine()}")
    create_database(DATABASE_URL, reuse=False)
    double, sms_settings = start_double()
    env = server_environment(DATABASE_URL)
    env.update(sms_settings)
    env.update(
        TASKS_BACKEND="database",
        # Whatever the hour of the run: the night's pause is not what is measured.
        OPENDAY_QUIET_HOURS_START="0",
        OPENDAY_QUIET_HOURS_END="0",
        OPENDAY_SMS_BUDGET_HOUR="0",
        OPENDAY_SMS_BUDGET_DAY="0",
    )
    failures = []
    try:
        manage(env, "migrate", "--noinput", "-v", "0")
        subprocess.run(
            [PYTHON, "manage.py", "shell", "-c", SETUP.replace("COUNT", str(args.count))],
            cwd=ROOT,
            env=env,
            check=True,
        )
        print(f"{args.count} confirmed registrations of an activity starting in 12 hours")

        # Two runs of the command at the same moment, as two cron hosts would.
        started = time.perf_counter()
        runs = [
            subprocess.Popen(
                [PYTHON, "manage.py", "send_due_notifications"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        for run in runs:
            output, _ = run.communicate()
            print(f"send_due_notifications: {output.strip()}")
        print(f"recorded and queued in {time.perf_counter() - started:.1f} s")

        started = time.perf_counter()
        workers = [
            subprocess.Popen(
                [
                    PYTHON,
                    "manage.py",
                    "db_worker",
                    "--batch",
                    "--no-startup-delay",
                    "--no-reload",
                    "--interval",
                    "0.1",
                    "--worker-id",
                    f"bench-{number}",
                ],
                cwd=ROOT,
                env=env,
            )
            for number in range(args.workers)
        ]
        for worker in workers:
            worker.wait()
        elapsed = time.perf_counter() - started
        # The largest resident set any child reached (Linux reports KiB): the workers
        # are the biggest children.
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

        counts = psql_counts(env)
        sent = counts.get("sent", 0)
        accepted = accepted_by(sms_settings["OPENDAY_SMS_ENDPOINT"])
        phones = Counter(message["phone"] for message in accepted)
        twice = sum(1 for times in phones.values() if times > 1)
        print(
            f"{args.workers} db_worker processes: {sent} messages in {elapsed:.1f} s, "
            f"{sent / elapsed:.0f} messages/s; peak memory of a worker {peak_mib:.0f} MiB"
        )
        print(f"records by status: {dict(sorted(counts.items()))}")
        print(f"the double accepted {len(accepted)} messages for {len(phones)} numbers")
        if sent == args.count == len(accepted) == len(phones) and not twice:
            print(f"sent exactly once: {sent}")
        else:
            failures.append(
                f"expected {args.count} sent once: {sent} records sent, {len(accepted)} "
                f"accepted, {twice} numbers got more than one"
            )
    finally:
        double.terminate()
        double.wait(10)
        if not args.keep:
            drop_database(DATABASE_URL)
    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
