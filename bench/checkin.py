"""Doors coming back online: a manifest of 5 000 tickets, then 4 devices each syncing a
batch of 1 500 offline scans at the same moment, overlapping each other, through gunicorn
and PostgreSQL; then every device sends its batch again, as after a lost answer.

    .venv/bin/python bench/checkin.py [--tickets 5000] [--devices 4] [--batch 1500]
                                      [--overlap 400] [--workers 4]

Creates its own database, prints the time to download the manifest and per batch, and
checks in the database that every scanned ticket is checked in exactly once and that
every scan is recorded once. Exits non-zero otherwise, or on any 5xx.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg2  # noqa: E402
from common import (  # noqa: E402
    PYTHON,
    ROOT,
    Gunicorn,
    create_database,
    drop_database,
    machine,
    manage,
    server_environment,
)

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/openday_bench_checkin"
PORT = 8641

SETUP = """
import datetime as dt, json, sys
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from openday.events.models import Event, SubEvent, Venue
from openday.registrations.models import Registration, new_reference
from openday.registrations import manage_link
count = int(sys.argv[1])
start = timezone.now() - dt.timedelta(minutes=30)
event = Event.objects.create(title="bench", slug="bench-checkin", starts_on=start.date(),
                             ends_on=start.date(), is_published=True)
venue = Venue.objects.create(name="bench venue", slug="bench-venue", address="bench")
sub_event = SubEvent.objects.create(event=event, venue=venue, title="bench door", starts_at=start,
    ends_at=start + dt.timedelta(hours=3), capacity=count * 2, max_party_size=4,
    registration_opens_at=start - dt.timedelta(days=3),
    registration_closes_at=start - dt.timedelta(minutes=1))
Registration.objects.bulk_create(
    [Registration(sub_event=sub_event, name=f"来宾{n}", phone=f"139{n:08d}",
                  party_size=1 + n % 3, reference=new_reference(),
                  **manage_link.new_link()[0]) for n in range(count)],
    batch_size=2000)
user = get_user_model().objects.create_superuser("bench-door", "door@example.com", "x")
session = SessionStore()
session["_auth_user_id"] = str(user.pk)
session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
session["_auth_user_hash"] = user.get_session_auth_hash()
session.create()
print(json.dumps({"sub_event": sub_event.pk, "session": session.session_key,
                  "references": list(Registration.objects.filter(sub_event=sub_event)
                                     .order_by("pk").values_list("reference", flat=True))}))
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=5000)
    parser.add_argument("--devices", type=int, default=4)
    parser.add_argument("--batch", type=int, default=1500)
    parser.add_argument("--overlap", type=int, default=400)
    parser.add_argument("--workers", type=int, default=4)
    return parser.parse_args()


def request(method, path, *, cookie, body=None, csrf=""):
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=300)
    headers = {"Cookie": cookie, "Accept": "application/json", "Host": "127.0.0.1"}
    if body is not None:
        headers.update({"Content-Type": "application/json", "X-CSRFToken": csrf})
        headers["Referer"] = f"http://127.0.0.1:{PORT}/staff/checkin/"
    started = time.perf_counter()
    connection.request(
        method, path, body=json.dumps(body) if body is not None else None, headers=headers
    )
    response = connection.getresponse()
    data = response.read()
    elapsed = time.perf_counter() - started
    connection.close()
    return response.status, data, elapsed


def main() -> int:
    args = parse_args()
    create_database(DATABASE_URL, reuse=False)
    env = server_environment(DATABASE_URL)
    failures = []
    try:
        manage(env, "migrate", "--noinput", "-v", "0")
        setup = subprocess.run(
            [PYTHON, "manage.py", "shell", "-c", SETUP.replace("sys.argv[1]", str(args.tickets))],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if setup.returncode != 0:
            raise SystemExit(setup.stderr)
        world = json.loads(setup.stdout.strip().splitlines()[-1])
        server = Gunicorn(env, PORT, workers=args.workers)
        try:
            csrf = uuid.uuid4().hex + uuid.uuid4().hex  # any 32+ characters, sent twice
            cookie = f"sessionid={world['session']}; csrftoken={csrf}"
            base = f"/api/v1/staff/subevents/{world['sub_event']}"
            status, data, seconds = request("GET", f"{base}/checkin-manifest", cookie=cookie)
            tickets = len(json.loads(data)["tickets"]) if status == 200 else 0
            print(f"manifest: {tickets} tickets, {len(data) / 1024:.0f} KiB, {seconds:.2f} s")
            if status != 200:
                failures.append(f"manifest answered {status}")
            references = world["references"]
            step = args.batch - args.overlap
            now = dt.datetime.now(dt.UTC)
            batches = [
                [
                    {
                        "id": str(uuid.uuid4()),
                        "reference": reference,
                        "at": (now - dt.timedelta(seconds=index)).isoformat(),
                    }
                    for index, reference in enumerate(
                        references[device * step : device * step + args.batch]
                    )
                ]
                for device in range(args.devices)
            ]
            scanned = {scan["reference"] for batch in batches for scan in batch}
            for round_name in ("first sync", "sent again"):
                timings, results, statuses = [], Counter(), Counter()
                barrier = threading.Barrier(args.devices)

                def device(
                    number, timings=timings, results=results, statuses=statuses, barrier=barrier
                ):
                    barrier.wait()
                    status, data, seconds = request(
                        "POST",
                        f"{base}/checkins",
                        cookie=cookie,
                        csrf=csrf,
                        body={"device": f"door-{number + 1}", "scans": batches[number]},
                    )
                    statuses[status] += 1
                    timings.append(seconds)
                    if status == 200:
                        results.update(r["result"] for r in json.loads(data)["results"])

                threads = [threading.Thread(target=device, args=(n,)) for n in range(args.devices)]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                print(
                    f"{round_name}: {args.devices} batches of {args.batch} scans, "
                    f"{min(timings):.2f}-{max(timings):.2f} s per batch, "
                    f"statuses {dict(statuses)}, results {dict(results)}"
                )
                if set(statuses) != {200}:
                    failures.append(f"{round_name}: statuses {dict(statuses)}")
        finally:
            server.stop()
        connection = psycopg2.connect(DATABASE_URL)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM registrations_registration WHERE checked_in_at IS NOT NULL"
            )
            checked_in = cursor.fetchone()[0]
            cursor.execute("SELECT count(*), count(DISTINCT scan_id) FROM staff_checkinscan")
            scans, distinct = cursor.fetchone()
        connection.close()
        print(
            f"checked in exactly once: {checked_in} of {len(scanned)} scanned tickets; "
            f"scans recorded: {scans} ({distinct} distinct) of "
            f"{sum(map(len, batches))} sent twice"
        )
        if checked_in != len(scanned) or scans != distinct or scans != sum(map(len, batches)):
            failures.append("check-ins or scan records do not match what was sent")
        print(machine())
    finally:
        drop_database(DATABASE_URL)
    for failure in failures:
        print("FAILED:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
