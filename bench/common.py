"""What the benchmarks share: a PostgreSQL database of their own filled with the demo and
generated volume, the environment of a production-like app server, and gunicorn on
127.0.0.1 that stops by itself."""

import http.client
import os
import platform
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/openday_bench"
# However the benchmark ends, its servers are gone after this many seconds.
SERVER_LIFETIME = 1800


def machine() -> str:
    memory = ""
    try:
        with open("/proc/meminfo") as meminfo:
            kib = int(meminfo.readline().split()[1])
        memory = f", {kib / 1024 / 1024:.1f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} CPU cores ({cpu}){memory}, Python {platform.python_version()}"


def _maintenance_dsn(database_url: str) -> tuple[str, str]:
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if not name:
        raise SystemExit(f"no database name in {database_url}")
    return urlunsplit(parts._replace(path="/postgres")), name


def create_database(database_url: str, *, reuse: bool) -> None:
    """Create the benchmark database; unless `reuse`, drop an existing one first."""
    dsn, name = _maintenance_dsn(database_url)
    connection = psycopg2.connect(dsn)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        exists = cursor.fetchone() is not None
        if exists and not reuse:
            cursor.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            exists = False
        if not exists:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    connection.close()


def drop_database(database_url: str) -> None:
    dsn, name = _maintenance_dsn(database_url)
    connection = psycopg2.connect(dsn)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
    connection.close()


def server_environment(database_url: str, cache_url: str | None = None) -> dict[str, str]:
    """A production-like configuration on plain HTTP, rate limits off."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SECURE_SSL_REDIRECT="false",
        OPENDAY_RATELIMIT="off",
        LOG_LEVEL="WARNING",
        TASKS_BACKEND="immediate",
    )
    env.pop("CACHE_URL", None)
    env.pop("REDIS_URL", None)
    if cache_url:
        env["CACHE_URL"] = cache_url
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def prepare(database_url: str, *, subevents: int, registrations: int, reuse: bool) -> None:
    """The demo with generated volume in a database of its own, and collected static files
    (DEBUG off serves them through whitenoise's manifest)."""
    started = time.perf_counter()
    create_database(database_url, reuse=reuse)
    env = server_environment(database_url)
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(
        env,
        "load_demo",
        "--subevents",
        str(subevents),
        "--registrations",
        str(registrations),
    )
    manage(env, "collectstatic", "--noinput", "-v", "0")
    # After a bulk load the planner needs fresh statistics (autovacuum would get there
    # later) and index-only scans need the visibility map.
    connection = psycopg2.connect(database_url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    connection.close()
    print(f"database ready in {time.perf_counter() - started:.0f} s", flush=True)


class Gunicorn:
    """gunicorn on 127.0.0.1:port; `timeout` ends it after SERVER_LIFETIME seconds even if
    this process dies first. Stopped by its PID."""

    def __init__(self, env: dict[str, str], port: int, workers: int, threads: int = 1):
        if not 8601 <= port <= 8699:
            raise SystemExit("benchmark servers use ports 8601-8699")
        self.port = port
        self.process = subprocess.Popen(
            [
                "timeout",
                str(SERVER_LIFETIME),
                GUNICORN,
                "openday.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--backlog",
                "2048",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        self.wait_ready()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn on port {self.port} exited")
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            try:
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    return
            except (OSError, http.client.HTTPException):
                time.sleep(0.3)
            finally:
                connection.close()
        self.stop()
        raise SystemExit(f"gunicorn on port {self.port} did not answer /healthz")

    def worker_memory_mib(self) -> float:
        """Resident memory of the gunicorn master and its workers, in MiB."""
        total = 0
        try:
            master = int(
                subprocess.run(
                    ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True
                ).stdout.split()[0]
            )
        except (IndexError, ValueError):
            return 0.0
        children = subprocess.run(
            ["pgrep", "-P", str(master)], capture_output=True, text=True
        ).stdout.split()
        for pid in [master, *map(int, children)]:
            try:
                with open(f"/proc/{pid}/status") as status:
                    for line in status:
                        if line.startswith("VmRSS:"):
                            total += int(line.split()[1])
            except OSError:
                pass
        return total / 1024

    def stop(self) -> None:
        if self.process.poll() is None:
            # `timeout` passes SIGTERM on to gunicorn, which stops its workers gracefully.
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
