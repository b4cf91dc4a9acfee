"""Throughput and latency of the public pages under gunicorn against PostgreSQL.

    .venv/bin/python bench/pages.py [--clients 32] [--seconds 15] [--workers 5]

Builds a database of its own (demo + 500 activities + 100 000 registrations), serves it
with gunicorn on 127.0.0.1, loads each URL in turn with a fixed number of concurrent
clients and prints requests/s, p50 and p99 per URL, and each URL's requests/s as a share
of /healthz in the same run. Exits non-zero on any 5xx or failed connection.
See bench/README.md.
"""

import argparse
import http.client
import os
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402


@dataclass
class Result:
    url: str
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    failures: int = 0
    elapsed: float = 0.0

    @property
    def requests_per_second(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def percentile(self, share: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000

    def merge(self, other: "Result") -> None:
        self.latencies.extend(other.latencies)
        self.failures += other.failures
        self.elapsed += other.elapsed
        for status, count in other.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + count

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500)


def fetch(port: int, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def load(port: int, path: str, clients: int, seconds: float, headers: dict[str, str]) -> Result:
    """`clients` threads, each sending one request after another for `seconds`."""
    result = Result(path)
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def client() -> None:
        latencies, statuses, failures = [], {}, 0
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            try:
                status, _ = fetch(port, path, headers)
            except (OSError, http.client.HTTPException):
                failures += 1
                continue
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1
        with lock:
            result.latencies.extend(latencies)
            result.failures += failures
            for status, count in statuses.items():
                result.statuses[status] = result.statuses.get(status, 0) + count

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.elapsed = time.perf_counter() - started
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=common.DEFAULT_DATABASE_URL)
    parser.add_argument("--cache-url", help="e.g. redis://127.0.0.1:6379/6 (default: local memory)")
    parser.add_argument(
        "--page-cache-seconds", type=int, default=5, help="0 measures rendering every page"
    )
    parser.add_argument("--subevents", type=int, default=500)
    parser.add_argument("--registrations", type=int, default=100_000)
    parser.add_argument("--port", type=int, default=8611)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15, help="per URL, in all")
    parser.add_argument("--rounds", type=int, default=10, help="round-robin rounds over the URLs")
    parser.add_argument("--language", default="zh-hans", help="Accept-Language of the clients")
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
    env = common.server_environment(args.database_url, args.cache_url)
    env["OPENDAY_PAGE_CACHE_SECONDS"] = str(args.page_cache_seconds)
    server = common.Gunicorn(env, args.port, args.workers)
    headers = {"Host": "127.0.0.1", "Accept-Language": args.language}
    try:
        status, home = fetch(args.port, "/", headers)
        if status != 200:
            print(f"/ answered {status}; nothing to measure")
            return 1
        paths = ["/"]
        activity = re.search(rb'href="((/events/[\w-]+/)activities/\d+/)"', home)
        if activity:
            paths += [activity.group(2).decode(), activity.group(1).decode()]
        else:
            print("note: no activity linked from /; event and activity pages not measured")
        api_status, _ = fetch(args.port, "/api/v1/subevents", headers)
        if api_status == 200:
            paths.append("/api/v1/subevents")
        else:
            print(f"note: /api/v1/subevents answered {api_status}; not measured in this build")
        paths.append("/healthz")
        print(
            f"gunicorn: {args.workers} workers on 127.0.0.1:{args.port}; cache: "
            f"{args.cache_url or 'local memory'}, pages kept {args.page_cache_seconds} s; "
            f"{args.clients} concurrent clients, "
            f"{args.seconds:.0f} s per URL in {args.rounds} rounds"
        )
        for path in paths:
            load(args.port, path, min(args.clients, 4), 2, headers)  # warm every worker
        # Round-robin over the URLs in short rounds, so that whatever else the machine does
        # meanwhile weighs on every URL alike and the ratios to /healthz stay fair.
        results = {path: Result(path) for path in paths}
        for _ in range(args.rounds):
            for path in paths:
                round_result = load(
                    args.port, path, args.clients, args.seconds / args.rounds, headers
                )
                results[path].merge(round_result)
        results = list(results.values())
        memory = server.worker_memory_mib()
    finally:
        server.stop()
        if not args.keep:
            common.drop_database(args.database_url)

    healthz = results[-1].requests_per_second or 1.0
    print()
    print(
        f"{'URL':<34} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'vs /healthz':>11} {'5xx':>4}"
    )
    for result in results:
        print(
            f"{result.url:<34} {len(result.latencies):>8} {result.requests_per_second:>8.0f} "
            f"{result.percentile(0.5):>8.1f} {result.percentile(0.99):>8.1f} "
            f"{result.requests_per_second / healthz:>11.2f} {result.server_errors:>4}"
        )
    print(f"\ngunicorn resident memory after the run: {memory:.0f} MiB")
    programme = results[0]
    ok_ratio = programme.requests_per_second / healthz >= 0.5
    ok_p99 = programme.percentile(0.99) < 250
    print(
        f"targets for /: ≥ 0.5 × /healthz throughput: {'met' if ok_ratio else 'NOT met'}; "
        f"p99 < 250 ms: {'met' if ok_p99 else 'NOT met'}"
    )
    print(f"size of /: {len(home) / 1024:.0f} KiB")
    failed = [r for r in results if r.server_errors or r.failures or set(r.statuses) != {200}]
    for result in failed:
        print(
            f"FAILED {result.url}: statuses {result.statuses}, {result.failures} failed connections"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
