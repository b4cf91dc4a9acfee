"""A registration rush against gunicorn and PostgreSQL, checked in the database afterwards.

    .venv/bin/python bench/rush.py [--attempts 2000] [--capacity 50] [--concurrency 0]

Creates its own database (default `booking_bench`) on the PostgreSQL server of
--postgres, migrates it, creates one open sub-event with a small capacity, starts gunicorn
(several workers, 127.0.0.1, rate limiting off), fires the registration attempts through
`POST /api/v1/subevents/{id}/registrations` (party sizes 1-3, a new phone number each),
prints the figures and drops the database again. Exits non-zero on any overbooking, lost
request (no HTTP answer, or an answer the database does not match) or 5xx.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attempts", type=int, default=2000)
    parser.add_argument("--capacity", type=int, default=50)
    parser.add_argument(
        "--concurrency",
        type=int,
        default=0,
        help="attempts in flight at most (each its own connection); 0, the default: all at once",
    )
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--port", type=int, default=8251)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="booking_bench")
    parser.add_argument("--waitlist", action="store_true", help="enable the waiting list")
    parser.add_argument("--seed", type=int, default=4)
    return parser.parse_args()


def database_url(base: str, name: str) -> str:
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{name}"))


def admin_sql(base: str, sql: str) -> None:
    import psycopg2

    connection = psycopg2.connect(base)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(sql)
    connection.close()


# Production settings (DEBUG off) refuse to start without a real key; this run's own key
# reaches the migrate and gunicorn processes through the environment.
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openday.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def create_sub_event(capacity: int, waitlist: bool) -> int:
    import datetime as dt

    from django.utils import timezone

    from openday.events.models import Event, SubEvent, Venue

    today = timezone.localdate()
    event = Event.objects.create(
        title="开放日压力测试",
        slug="rush",
        organiser="bench",
        starts_on=today,
        ends_on=today + dt.timedelta(days=7),
        is_published=True,
    )
    venue = Venue.objects.create(name="场地", slug="rush", address="bench")
    starts = timezone.now() + dt.timedelta(days=2)
    sub_event = SubEvent.objects.create(
        event=event,
        venue=venue,
        title="执法体验日",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        capacity=capacity,
        max_party_size=3,
        waitlist_enabled=waitlist,
        is_published=True,
    )
    return sub_event.pk


def start_gunicorn(url: str, port: int, workers: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "OPENDAY_RATELIMIT": "off",
        # Refusals are 4xx answers that Django logs as warnings; not what is measured.
        "LOG_LEVEL": "ERROR",
    }
    command = [
        # `timeout` stops the server by itself should this script die without cleaning up.
        "timeout",
        "900",
        str(Path(sys.executable).parent / "gunicorn"),
        "openday.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--backlog",
        "4096",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as reply:
                if reply.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start")


async def attempt(port: int, path: str, body: bytes) -> tuple[int | None, dict, float]:
    """One registration over a new connection: status, JSON body, seconds taken."""
    started = time.perf_counter()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            (
                f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                "Connection: close\r\n\r\n"
            ).encode()
            + body
        )
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), timeout=60)
        writer.close()
    except (OSError, TimeoutError):
        return None, {}, time.perf_counter() - started
    elapsed = time.perf_counter() - started
    head, _sep, payload = raw.partition(b"\r\n\r\n")
    try:
        status = int(head.split(b" ", 2)[1])
        data = json.loads(payload) if payload else {}
    except (IndexError, ValueError):
        return None, {}, elapsed
    return status, data, elapsed


async def rush(port: int, sub_event_id: int, attempts: int, concurrency: int, seed: int):
    rng = random.Random(seed)
    path = f"/api/v1/subevents/{sub_event_id}/registrations"
    bodies = [
        json.dumps(
            {
                "name": "压力测试",
                "phone": f"139{index:08d}",
                "party_size": rng.randint(1, 3),
                "consent": True,
            }
        ).encode()
        for index in range(attempts)
    ]
    gate = asyncio.Semaphore(concurrency or attempts)

    async def limited(body: bytes):
        async with gate:
            return await attempt(port, path, body)

    started = time.perf_counter()
    results = await asyncio.gather(*(limited(body) for body in bodies))
    return results, time.perf_counter() - started


def process_tree_cpu_seconds(root: int) -> float:
    """CPU time (user + system) used so far by a process and all its descendants, from
    /proc (Linux): what the app servers spent, whatever else runs on the machine."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    cpu: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        cpu[int(entry.name)] = int(fields[11]) + int(fields[12])
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in tree:
                tree.add(pid)
                frontier.append(pid)
    return sum(cpu.get(pid, 0) for pid in tree) / ticks


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> int:
    args = parse_args()
    url = database_url(args.postgres, args.database)
    admin_sql(args.postgres, f'DROP DATABASE IF EXISTS "{args.database}"')
    admin_sql(args.postgres, f'CREATE DATABASE "{args.database}"')
    server = None
    try:
        env = {**os.environ, "DATABASE_URL": url}
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        setup_django(url)
        sub_event_id = create_sub_event(args.capacity, args.waitlist)
        from django.db import connection

        connection.close()
        server = start_gunicorn(url, args.port, args.workers)
        cpu_before = process_tree_cpu_seconds(server.pid)
        results, seconds = asyncio.run(
            rush(args.port, sub_event_id, args.attempts, args.concurrency, args.seed)
        )
        app_cpu = process_tree_cpu_seconds(server.pid) - cpu_before
        return report(args, sub_event_id, results, seconds, app_cpu)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        from django.db import connections

        connections.close_all()
        admin_sql(args.postgres, f'DROP DATABASE IF EXISTS "{args.database}"')


def report(args, sub_event_id: int, results, seconds: float, app_cpu: float) -> int:
    from django.db.models import Sum

    from openday.registrations.models import Registration

    statuses = Counter(status for status, _data, _elapsed in results)
    outcomes = Counter()
    for status, data, _elapsed in results:
        if status == 201:
            outcomes[data.get("status", "?")] += 1
        elif status is not None and status < 500:
            outcomes[f"refused {data.get('code', status)}"] += 1
    latencies = [elapsed for status, _data, elapsed in results if status is not None]
    lost = statuses[None]
    server_errors = sum(count for status, count in statuses.items() if status and status >= 500)

    rows = Registration.objects.filter(sub_event_id=sub_event_id)
    confirmed_places = rows.filter(status="confirmed").aggregate(total=Sum("party_size"))["total"]
    confirmed_places = confirmed_places or 0
    created = statuses[201]
    # Every 201 is exactly one row, and no row exists without its 201.
    mismatch = rows.count() != created
    overbooked = max(0, confirmed_places - args.capacity)

    print(f"attempts:            {len(results)} ({args.concurrency or 'all'} at once)")
    print(f"capacity:            {args.capacity}")
    print(f"confirmed places:    {confirmed_places}")
    print(f"confirmed parties:   {outcomes['confirmed']}")
    print(f"waitlisted:          {outcomes['waitlisted']}")
    for key in sorted(k for k in outcomes if k.startswith("refused")):
        print(f"{key + ':':<21}{outcomes[key]}")
    print(f"5xx:                 {server_errors}")
    print(f"lost:                {lost + (abs(rows.count() - created) if mismatch else 0)}")
    print(f"time:                {seconds:.2f} s")
    print(f"attempts per second: {len(results) / seconds:.0f}")
    print(f"registrations/s:     {created / seconds:.0f}")
    print(f"latency p50:         {percentile(latencies, 0.5) * 1000:.0f} ms")
    print(f"latency p99:         {percentile(latencies, 0.99) * 1000:.0f} ms")
    print(f"latency mean:        {statistics.fmean(latencies) * 1000 if latencies else 0:.0f} ms")
    print(f"app CPU per attempt: {app_cpu / len(results) * 1000:.1f} ms (gunicorn workers)")
    print(f"load average:        {os.getloadavg()[0]:.1f} (cores: {os.cpu_count()})")
    print(f"overbooked:          {overbooked}")
    failed = overbooked or lost or server_errors or mismatch
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
