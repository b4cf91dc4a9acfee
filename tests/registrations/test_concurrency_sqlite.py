"""SQLite serialises writers: concurrent bookings on a SQLite file wait for each other
(transactions start IMMEDIATE, see settings) and never show "database is locked" to a
person. The suite's own SQLite database lives in memory, so these tests book on a real
file, in a separate process with one connection per thread."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)

RUSH = """
import json, sys, threading, time
import django
django.setup()
from django.db import connection, connections, transaction
from openday.registrations import services
from openday.registrations.models import Registration
from tests.factories import SubEventFactory

mode = sys.argv[1]
results = []
barrier = threading.Barrier(30)

def book(i, sub_event):
    try:
        barrier.wait()
        services.registration_create(
            sub_event_id=sub_event.pk, name="王芳", phone=f"139{i:08d}"
        )
        results.append("confirmed")
    except services.BookingError as error:
        results.append(error.code)
    except Exception as error:
        results.append(repr(error))
    finally:
        connection.close()

sub_event = SubEventFactory(capacity=10, max_party_size=1, waitlist_enabled=False)
connection.close()
holder = None
if mode == "held":
    # Another writer keeps the database for longer than the others are willing to wait.
    connections.settings["default"]["OPTIONS"]["timeout"] = 0.2
    started = threading.Event()
    def hold():
        with transaction.atomic():
            Registration.objects.exists()
            started.set()
            time.sleep(1.5)
        connection.close()
    holder = threading.Thread(target=hold)
    holder.start()
    started.wait()
threads = [threading.Thread(target=book, args=(i, sub_event)) for i in range(30)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
if holder:
    holder.join()
confirmed = Registration.objects.filter(sub_event=sub_event, status="confirmed").count()
print(json.dumps({"results": results, "confirmed": confirmed}))
"""


@pytest.fixture(scope="module")
def migrated_sqlite_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("sqlite") / "migrated.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    return path


@pytest.fixture
def sqlite_file(migrated_sqlite_file, tmp_path):
    # A fresh copy of the migrated database for each test.
    path = tmp_path / "rush.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{migrated_sqlite_file}{suffix}")
        if source.exists():
            shutil.copyfile(source, f"{path}{suffix}")
    return {**os.environ, "DATABASE_URL": f"sqlite:///{path}"}


def rush(env, mode):
    env = {**env, "DJANGO_SETTINGS_MODULE": "openday.settings", "OPENDAY_NOSHOW_LIMIT": "0"}
    done = subprocess.run(
        [sys.executable, "-c", RUSH, mode],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_sqlite_file_serialises_a_rush_of_writers(sqlite_file):
    outcome = rush(sqlite_file, "rush")
    assert sorted(set(outcome["results"])) == ["confirmed", "full"]
    assert outcome["results"].count("confirmed") == outcome["confirmed"] == 10


def test_sqlite_lock_timeout_reaches_people_as_busy_not_locked(sqlite_file):
    outcome = rush(sqlite_file, "held")
    assert set(outcome["results"]) == {"busy"}
    assert outcome["confirmed"] == 0
