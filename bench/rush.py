"""A registration rush against gunicorn and PostgreSQL, checked in the database afterwards.

    .venv/bin/python bench/rush.py [--attempts 2000] [--capacity 50] [--concurrency 0]
                                   [--servers 1]

Creates its own database (default `booking_bench`) on the PostgreSQL server of
--postgres, migrates it, creates one open sub-event with a small capacity, starts gunicorn
(several workers, 127.0.0.1, rate limiting off), fires the registration attempts through
`POST /api/v1/subevents/{id}/registrations` (party sizes 1-3, a new phone number each),
prints the figures and drops the database again. Exits non-zero on any overbooking, lost
request (no HTTP answer, or an answer the database does not match) or 5xx.

With --servers N > 1, N gunicorn servers on consecutive ports share the database and one
Redis cache, take the attempts in turn, and limit the rate as in production (the limit per
address raised above the rush); afterwards one phone number tries twice its limit across
the servers, and the run fails unless exactly the limit gets through.
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
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
# The cache several servers share unless --cache-url says otherwise: a Redis database of
# the benchmark's own, emptied at the start of each run.
SHARED_CACHE_URL = "redis://127.0.0.1:6379/7"
# Every attempt comes from 127.0.0.1: the limit per address must stay far above the rush,
# so that only the limit per phone number is put to the test.
RUSH_ADDRESS_RATE = "1000000/60"
# Not one of the rush's numbers (139...): its attempts count against nothing else.
LIMIT_CHECK_PHONE = "13800138000"


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
    parser.add_argument("--port", type=int, default=8251, help="of the first server")
    parser.add_argument(
        "--servers",
        type=int,
        default=1,
        help="gunicorn servers on consecutive ports, taking the attempts in turn; with more "
        "than one, they share a Redis cache and limit the rate",
    )
    parser.add_argument(
        "--cache-url",
        help=f"the servers' CACHE_URL, emptied first (default: {SHARED_CACHE_URL} with "
        "--servers above 1, else local memory)",
    )
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="booking_bench")
    parser.add_argument("--waitlist", action="store_true", help="enable the waiting list")
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    if args.servers < 1:
        parser.error("--servers must be at least 1")
    args.ports = [args.port + offset for offset in range(args.servers)]
    args.rate_limited = args.servers > 1
    if args.cache_url is None and args.servers > 1:
        args.cache_url = SHARED_CACHE_URL
    return args


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
# reaches the migrate and gunicorn processes through the environment. One key for every
# server: the rate limiter counts a phone number under a hash made with it.
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


def server_environment(url: str, *, rate_limited: bool) -> dict[str, str]:
    """What every app server runs with; CACHE_URL, when set, comes from os.environ."""
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
    if rate_limited:
        # The limit per phone number stays as configured (by default the setting's own).
        env.update(OPENDAY_RATELIMIT="on", OPENDAY_RATELIMIT_ADDRESS=RUSH_ADDRESS_RATE)
    return env


def start_gunicorn(env: dict[str, str], port: int, workers: int) -> subprocess.Popen:
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
        # The app is imported once, before the workers fork: none of them is still
        # starting (and spending CPU on it) when the rush begins.
        "--preload",
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
    server.wait(timeout=30)
    raise SystemExit(f"gunicorn did not start on port {port}")


def stop_servers(servers: list[subprocess.Popen]) -> None:
    for server in servers:
        server.terminate()
    for server in servers:
        server.wait(timeout=30)


class Answer(NamedTuple):
    port: int
    status: int | None  # None: no HTTP answer
    data: dict
    headers: dict[str, str]  # names in lower case
    seconds: float


def registration_body(phone: str, party_size: int) -> bytes:
    return json.dumps(
        {"name": "压力测试", "phone": phone, "party_size": party_size, "consent": True}
    ).encode()


async def attempt(port: int, path: str, body: bytes) -> Answer:
    """One registration over a new connection."""
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
        return Answer(port, None, {}, {}, time.perf_counter() - started)
    elapsed = time.perf_counter() - started
    head, _sep, payload = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(status_line.split(" ", 2)[1])
        data = json.loads(payload) if payload else {}
    except (IndexError, ValueError):
        return Answer(port, None, {}, {}, elapsed)
    headers = {}
    for line in header_lines:
        name, _sep, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Answer(port, status, data, headers, elapsed)


def registrations_path(sub_event_id: int) -> str:
    return f"/api/v1/subevents/{sub_event_id}/registrations"


async def rush(
    ports: list[int], sub_event_id: int, attempts: int, concurrency: int, seed: int
) -> tuple[list[Answer], float]:
    """All attempts, each to the next server in turn; the answers and the seconds taken."""
    rng = random.Random(seed)
    path = registrations_path(sub_event_id)
    bodies = [registration_body(f"139{index:08d}", rng.randint(1, 3)) for index in range(attempts)]
    gate = asyncio.Semaphore(concurrency or attempts)

    async def limited(port: int, body: bytes) -> Answer:
        async with gate:
            return await attempt(port, path, body)

    started = time.perf_counter()
    results = await asyncio.gather(
        *(limited(ports[index % len(ports)], body) for index, body in enumerate(bodies))
    )
    return results, time.perf_counter() - started


async def one_phone_in_turns(ports: list[int], sub_event_id: int, tries: int) -> list[Answer]:
    """`tries` attempts for LIMIT_CHECK_PHONE one after another, each to the next server."""
    path = registrations_path(sub_event_id)
    body = registration_body(LIMIT_CHECK_PHONE, 1)
    return [await attempt(ports[index % len(ports)], path, body) for index in range(tries)]


def check_shared_limit(ports: list[int], sub_event_id: int) -> bool:
    """Whether the servers share the limit per phone number: of twice the limit's attempts
    for one number, spread over the servers, exactly the limit gets through, and every
    429 says when to retry. With a cache per process each server would let the limit
    through."""
    from django.conf import settings

    from openday.core.ratelimit import parse_rate, phone_window_seconds_left

    limit, _window = parse_rate(settings.OPENDAY_RATELIMIT_PHONE)
    # A check that ran across the end of the number's window would start counting afresh
    # halfway through.
    window_left = phone_window_seconds_left(LIMIT_CHECK_PHONE, address="127.0.0.1")
    if window_left < 10:
        time.sleep(window_left + 1)
    answers = asyncio.run(one_phone_in_turns(ports, sub_event_id, 2 * limit))
    through = sum(1 for answer in answers if answer.status not in (None, 429))
    unanswered = sum(1 for answer in answers if answer.status is None)
    without_retry_after = sum(
        1 for answer in answers if answer.status == 429 and "retry-after" not in answer.headers
    )
    print(
        f"rate limit shared:   {through} of {len(answers)} answered before 429 "
        f"(limit {limit} per phone, {len(ports)} servers)"
    )
    if without_retry_after:
        print(f"429 without Retry-After: {without_retry_after}")
    if unanswered:
        print(f"limit check lost:    {unanswered}")
    return through == limit and not without_retry_after and not unanswered


def cpu_seconds(roots: Iterable[int]) -> dict[str, float]:
    """CPU time (user + system) used so far, from /proc (Linux), by the processes `roots`
    and all their descendants ("app"), by every PostgreSQL process on this machine
    ("database") and by this script ("client"): where the machine's cores went, whatever
    else runs on it."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    cpu: dict[int, int] = {}
    database = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            name, fields = (entry / "stat").read_text().rsplit(")", 1)
        except OSError:
            continue
        fields = fields.split()
        parents[int(entry.name)] = int(fields[1])
        cpu[int(entry.name)] = int(fields[11]) + int(fields[12])
        if name.endswith("(postgres"):
            database += cpu[int(entry.name)]
    tree = set(roots)
    frontier = list(tree)
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in tree:
                tree.add(pid)
                frontier.append(pid)
    own = os.times()
    return {
        "app": sum(cpu.get(pid, 0) for pid in tree) / ticks,
        "database": database / ticks,
        "client": own.user + own.system,
    }


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> int:
    args = parse_args()
    url = database_url(args.postgres, args.database)
    if args.cache_url:
        os.environ["CACHE_URL"] = args.cache_url
    admin_sql(args.postgres, f'DROP DATABASE IF EXISTS "{args.database}"')
    admin_sql(args.postgres, f'CREATE DATABASE "{args.database}"')
    servers: list[subprocess.Popen] = []
    try:
        env = {**os.environ, "DATABASE_URL": url}
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        setup_django(url)
        if args.cache_url:
            from django.core.cache import cache

            # Counters and pages left by an earlier run must not count in this one.
            cache.clear()
        sub_event_id = create_sub_event(args.capacity, args.waitlist)
        from django.db import connection

        connection.close()
        server_env = server_environment(url, rate_limited=args.rate_limited)
        for port in args.ports:
            servers.append(start_gunicorn(server_env, port, args.workers))
        pids = [server.pid for server in servers]
        cpu_before = cpu_seconds(pids)
        results, seconds = asyncio.run(
            rush(args.ports, sub_event_id, args.attempts, args.concurrency, args.seed)
        )
        cpu_after = cpu_seconds(pids)
        cpu = {key: cpu_after[key] - cpu_before[key] for key in cpu_after}
        failed = report(args, sub_event_id, results, seconds, cpu)
        # After the counts in the database: this check's own booking must not be among them.
        if args.rate_limited and not check_shared_limit(args.ports, sub_event_id):
            failed = True
        return 1 if failed else 0
    finally:
        stop_servers(servers)
        from django.db import connections

        connections.close_all()
        admin_sql(args.postgres, f'DROP DATABASE IF EXISTS "{args.database}"')


def report(
    args, sub_event_id: int, results: list[Answer], seconds: float, cpu: dict[str, float]
) -> bool:
    """Print the figures; True when the run failed."""
    from django.conf import settings
    from django.db.models import Sum

    from openday.registrations.models import Registration

    statuses = Counter(answer.status for answer in results)
    outcomes = Counter()
    for answer in results:
        if answer.status == 201:
            outcomes[answer.data.get("status", "?")] += 1
        elif answer.status is not None and answer.status < 500:
            outcomes[f"refused {answer.data.get('code', answer.status)}"] += 1
    latencies = [answer.seconds for answer in results if answer.status is not None]
    answered = Counter(answer.port for answer in results if answer.status is not None)
    sent = Counter(answer.port for answer in results)
    lost = statuses[None]
    server_errors = sum(count for status, count in statuses.items() if status and status >= 500)

    rows = Registration.objects.filter(sub_event_id=sub_event_id)
    confirmed_places = rows.filter(status="confirmed").aggregate(total=Sum("party_size"))["total"]
    confirmed_places = confirmed_places or 0
    created = statuses[201]
    # Every 201 is exactly one row, and no row exists without its 201.
    mismatch = rows.count() != created
    overbooked = max(0, confirmed_places - args.capacity)
    # With three times as many attempts as places (parties of one to three), the last
    # places are always taken: fewer confirmed means a booking was refused wrongly.
    underbooked = (
        max(0, args.capacity - confirmed_places) if len(results) >= 3 * args.capacity else 0
    )

    print(f"attempts:            {len(results)} ({args.concurrency or 'all'} at once)")
    print(
        f"servers:             {args.servers} × {args.workers} workers, "
        # The servers' environment is this process's: so is their cache.
        f"cache {settings.CACHE_URL if settings.CACHE_IS_SHARED else 'per process'}, "
        f"rate limiting {'on' if args.rate_limited else 'off'}"
    )
    for port in args.ports:
        print(f"{f'answered by :{port}:':<21}{answered[port]} of {sent[port]}")
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
    per_attempt = {key: value / len(results) * 1000 for key, value in cpu.items()}
    print(f"app CPU per attempt: {per_attempt['app']:.1f} ms (gunicorn workers)")
    print(f"database CPU:        {per_attempt['database']:.1f} ms per attempt (PostgreSQL)")
    print(f"client CPU:          {per_attempt['client']:.1f} ms per attempt (this script)")
    print(f"load average:        {os.getloadavg()[0]:.1f} (cores: {os.cpu_count()})")
    print(f"overbooked:          {overbooked}")
    print(f"places left unsold:  {underbooked}")
    return bool(overbooked or underbooked or lost or server_errors or mismatch)


if __name__ == "__main__":
    sys.exit(main())
