"""Export of many registrations from the admin: rows, seconds and peak Python memory.

    DATABASE_URL=sqlite:////tmp/openday-bench.sqlite3 .venv/bin/python bench/staff_export.py 100000

Builds the demo open day with generated volume (load_demo, idempotent), then downloads the
CSV and the XLSX export as a superuser through the test client, reading the response
chunk by chunk as a browser would. Peak memory is measured with tracemalloc while the file
is produced; it should stay flat as the number of rows grows.
"""

import os
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openday.settings")
os.environ.setdefault("OPENDAY_RATELIMIT", "off")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

from openday.registrations.models import Registration  # noqa: E402


def main(rows: int) -> None:
    setup_test_environment()
    call_command("migrate", verbosity=0)
    call_command("load_demo", subevents=max(rows // 1000, 1), registrations=rows, verbosity=0)
    user, _ = get_user_model().objects.get_or_create(
        username="bench-export", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    total = Registration.objects.count()
    print(f"registrations in the database: {total}")
    for file_format in ("csv", "xlsx"):
        url = reverse("admin:registrations_registration_export", args=[file_format])
        tracemalloc.start()
        started = time.perf_counter()
        response = client.get(url)
        size = 0
        for chunk in response.streaming_content:
            size += len(chunk)
        elapsed = time.perf_counter() - started
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"{file_format}: {size / 1e6:.1f} MB in {elapsed:.1f} s, "
            f"peak Python memory {peak / 1e6:.1f} MB"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
