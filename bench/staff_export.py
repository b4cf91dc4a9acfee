"""Export of many registrations from the admin: rows, seconds and peak Python memory.

    DATABASE_URL=sqlite:////tmp/openday-bench.sqlite3 .venv/bin/python bench/staff_export.py 100000

Fills the database named by DATABASE_URL with the demo open day and generated volume
(migrate and load_demo, both idempotent), then downloads the CSV and the XLSX export as a
superuser through the test client with DEBUG off, reading the response chunk by chunk as a browser
would. Each format is measured twice: timed runs without tracing, then one run under
tracemalloc for the peak of Python memory (tracemalloc slows Python down several times,
so its run is never the one timed). See bench/README.md.
"""

import argparse
import os
import secrets
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
if not os.environ.get("DATABASE_URL"):
    # Without it the development database would get 100 000 generated registrations.
    sys.exit("Set DATABASE_URL to the database to fill and measure; see bench/README.md.")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openday.settings")
# As in production: DEBUG off (it would keep every query), hence a key of our own.
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("OPENDAY_RATELIMIT", "off")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

from openday.registrations.models import Registration  # noqa: E402


def download(client: Client, url: str) -> int:
    """One export, read to the end; returns its size in bytes."""
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    size = sum(len(chunk) for chunk in response.streaming_content)
    response.close()
    return size


def measure(client: Client, url: str, *, repeat: int, trace: bool) -> dict:
    wall, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        size = download(client, url)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    peak = None
    if trace:
        tracemalloc.start()
        download(client, url)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return {
        "size": size,
        "wall": statistics.median(wall),
        "cpu": statistics.median(cpu),
        "peak": peak,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "registrations", nargs="?", type=int, default=100_000, help="generated registrations"
    )
    parser.add_argument("--subevents", type=int, default=500, help="generated activities")
    parser.add_argument("--repeat", type=int, default=1, help="timed downloads per format")
    parser.add_argument("--formats", nargs="+", choices=["csv", "xlsx"], default=["csv", "xlsx"])
    parser.add_argument("--no-memory", action="store_true", help="skip the traced run (time only)")
    args = parser.parse_args()

    setup_test_environment()
    call_command("migrate", verbosity=0)
    call_command(
        "load_demo", subevents=args.subevents, registrations=args.registrations, verbosity=0
    )
    user, _ = get_user_model().objects.get_or_create(
        username="bench-export", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    rows = Registration.objects.count()
    print(
        f"{rows} registrations; {connection.vendor}; "
        f"median of {args.repeat} timed download(s) per format"
    )
    print(f"\n{'format':<7} {'rows':>8} {'MB':>6} {'seconds':>8} {'CPU s':>6} {'peak MB':>8}")
    for file_format in args.formats:
        url = reverse("admin:registrations_registration_export", args=[file_format])
        figures = measure(client, url, repeat=args.repeat, trace=not args.no_memory)
        peak = "-" if figures["peak"] is None else f"{figures['peak'] / 1e6:.1f}"
        print(
            f"{file_format:<7} {rows:>8} {figures['size'] / 1e6:>6.1f} "
            f"{figures['wall']:>8.1f} {figures['cpu']:>6.1f} {peak:>8}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
