"""Time and memory of the staff pages that grow with registrations: the registrations
changelist (plain, filtered, searched) and a filtered export.

    .venv/bin/python bench/admin.py [--repeat 5] [--export-url URL [--export-data k=v ...]]

Builds a database of its own (demo + 500 activities + 100 000 registrations), then requests
each page in this process through Django's test client as a signed-in superuser, with
DEBUG off. Prints per page the median and worst time, the response size and the peak of
Python memory allocated while serving it (tracemalloc), then the process's peak resident
memory. The export is measured when its address is given (it is a GET, or a POST of the
given form fields). See bench/README.md.
"""

import argparse
import os
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402


def fetch(client, method: str, url: str, data: dict) -> tuple[int, int]:
    response = client.post(url, data) if method == "POST" else client.get(url)
    if response.streaming:
        size = sum(len(chunk) for chunk in response.streaming_content)
    else:
        size = len(response.content)
    return response.status_code, size


def measure(client, method: str, url: str, data: dict, repeat: int) -> dict:
    """Times first, without tracing (tracemalloc slows Python down several times over);
    then one more request traced for its peak of allocated memory."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        status, size = fetch(client, method, url, data)
        times.append(time.perf_counter() - started)
    tracemalloc.start()
    fetch(client, method, url, data)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "status": status,
        "median_ms": statistics.median(times) * 1000,
        "worst_ms": max(times) * 1000,
        "size_kib": size / 1024,
        "peak_mib": peak / 1024 / 1024,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=common.DEFAULT_DATABASE_URL)
    parser.add_argument("--subevents", type=int, default=500)
    parser.add_argument("--registrations", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--export-url",
        help="the export to measure, e.g. /admin/registrations/registration/export/",
    )
    parser.add_argument(
        "--export-data",
        nargs="*",
        default=[],
        metavar="FIELD=VALUE",
        help="form fields: the export is then POSTed with them",
    )
    parser.add_argument("--reuse", action="store_true", help="keep an existing benchmark database")
    parser.add_argument("--keep", action="store_true", help="do not drop the database after")
    args = parser.parse_args()

    print(f"machine: {common.machine()}")
    common.prepare(
        args.database_url,
        subevents=args.subevents,
        registrations=args.registrations,
        reuse=args.reuse,
    )
    os.environ.update(common.server_environment(args.database_url))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openday.settings")
    sys.path.insert(0, str(common.ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from openday.events.models import District
    from openday.registrations.models import Registration

    try:
        user, _ = get_user_model().objects.get_or_create(
            username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
        )
        client = Client()
        client.force_login(user)
        changelist = reverse("admin:registrations_registration_changelist")
        district = District.objects.order_by("pk").first()
        pages = [
            ("changelist", "GET", changelist, {}),
            ("filtered by status", "GET", f"{changelist}?status__exact=confirmed", {}),
            (
                "filtered by district",
                "GET",
                f"{changelist}?sub_event__district__id__exact={district.pk}",
                {},
            ),
            ("search by phone", "GET", f"{changelist}?q=13900012345", {}),
            ("last page", "GET", f"{changelist}?p={Registration.objects.count() // 100}", {}),
        ]
        if args.export_url:
            data = dict(item.split("=", 1) for item in args.export_data)
            pages.append(("export", "POST" if data else "GET", args.export_url, data))
        print(
            f"{Registration.objects.count()} registrations; "
            f"{connection.vendor}; {args.repeat} requests per page"
        )
        print(
            f"\n{'page':<22} {'status':>6} {'median ms':>10} {'worst ms':>9} "
            f"{'KiB':>8} {'peak MiB':>9}"
        )
        failed = False
        for name, method, url, data in pages:
            figures = measure(client, method, url, data, args.repeat)
            failed |= figures["status"] != 200
            print(
                f"{name:<22} {figures['status']:>6} {figures['median_ms']:>10.0f} "
                f"{figures['worst_ms']:>9.0f} {figures['size_kib']:>8.0f} "
                f"{figures['peak_mib']:>9.1f}"
            )
        if not args.export_url:
            print("export: not measured (give --export-url, see bench/README.md)")
        peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"\npeak resident memory of this process: {peak_rss:.0f} MiB")
    finally:
        connection.close()
        if not args.keep:
            common.drop_database(args.database_url)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
