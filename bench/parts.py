"""Parts that fault tests and `bench/faults.py` start for themselves and then break on
purpose: a Redis server, a PostgreSQL cluster, a mail server that accepts, refuses or
hangs, and nginx. Each binds 127.0.0.1 on a free port, is stopped by its PID, and ends by
itself after LIFETIME seconds if its owner dies first."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import socketserver
import subprocess
import tempfile
import threading
import time
from pathlib import Path

LIFETIME = 1800


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing answers on port {port}")


def _kill(process: subprocess.Popen | None, sig: int = signal.SIGTERM) -> None:
    if process is not None and process.poll() is None:
        os.kill(process.pid, sig)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(10)


class RedisServer:
    """redis-server without persistence; stop/start keep the port, freeze/thaw stop and
    continue the process (a Redis that accepts connections and never answers)."""

    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "timeout",
                "--signal=KILL",
                str(LIFETIME),
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def _server_pid(self) -> int:
        # `timeout` is the parent; redis-server its only child.
        found = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True
        ).stdout.split()
        return int(found[0])

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self._server_pid(), signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    def freeze(self) -> None:
        os.kill(self._server_pid(), signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self._server_pid(), signal.SIGCONT)

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            pid = self._server_pid()
            os.kill(pid, signal.SIGCONT)
            os.kill(pid, signal.SIGKILL)
            self.process.wait(10)
        self.process = None


class SmtpServer:
    """A mail server in a thread of this process that speaks just enough SMTP. `mode`
    may change at any time: "accept" (keeps every message), "refuse" (421 at once, as a
    server that turns clients away), "reject" (550 for every recipient: a permanent
    refusal), or "hang" (takes the connection and never answers)."""

    def __init__(self, mode: str = "accept"):
        self.mode = mode
        self.messages: list[dict] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        server = self

        class Handler(socketserver.StreamRequestHandler):
            timeout = 120

            def handle(self):
                server._converse(self)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def recipients(self) -> list[str]:
        with self._lock:
            return [rcpt for message in self.messages for rcpt in message["to"]]

    def _converse(self, handler) -> None:
        mode = self.mode
        if mode == "hang":
            self._closing.wait(120)
            return
        write = handler.wfile.write
        if mode == "refuse":
            write(b"421 4.3.2 Service not available, closing channel\r\n")
            return
        write(b"220 localhost ESMTP test\r\n")
        recipients: list[str] = []
        while True:
            line = handler.rfile.readline()
            if not line:
                return
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                write(b"250 localhost\r\n")
            elif verb == b"MAIL":
                recipients = []
                write(b"250 OK\r\n")
            elif verb == b"RCPT":
                if mode == "reject":
                    write(b"550 5.1.1 No such user\r\n")
                    continue
                recipients.append(line.split(b":", 1)[1].strip().strip(b"<>").decode())
                write(b"250 OK\r\n")
            elif verb == b"DATA":
                write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                body = []
                for data_line in iter(handler.rfile.readline, b""):
                    if data_line in (b".\r\n", b".\n"):
                        break
                    body.append(data_line)
                with self._lock:
                    self.messages.append({"to": recipients, "data": b"".join(body)})
                write(b"250 OK queued\r\n")
            elif verb == b"QUIT":
                write(b"221 Bye\r\n")
                return
            else:  # RSET, NOOP and the rest
                write(b"250 OK\r\n")

    def close(self) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()


def _postgres_bin(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if found:
        return str(found[-1])
    if shutil.which(name):
        return shutil.which(name)
    raise RuntimeError(f"PostgreSQL's {name} is not installed")


class PostgresCluster:
    """A PostgreSQL cluster of its own (initdb) in a temporary folder, trust auth on
    127.0.0.1. PostgreSQL refuses to run as root: as root it runs as the `postgres` user.
    `stop()` is a fast shutdown (clients are cut off, new ones refused)."""

    def __init__(self):
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="openday-pg-"))
        self.data = self.folder / "data"
        self.process: subprocess.Popen | None = None
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as:
            shutil.chown(self.folder, "postgres", "postgres")
        subprocess.run(
            [
                *self._as,
                _postgres_bin("initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        self.start()

    def url(self, name: str = "openday") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *self._as,
                "timeout",
                "--signal=INT",
                str(LIFETIME),
                _postgres_bin("postgres"),
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-k",
                str(self.folder),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "max_connections=200",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ready = subprocess.run(
                [_postgres_bin("pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"]
            )
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError("PostgreSQL did not start")

    def _postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self._postmaster_pid(), signal.SIGINT)  # fast shutdown
            self.process.wait(30)
        self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


class Nginx:
    """Debian's nginx in front of `upstream` ("127.0.0.1:port"), with the timeouts of
    docs/deploy/nginx-app.conf, on a free port; its files in a temporary folder."""

    def __init__(self, upstream: str, *, gzip: bool = False, media_root: str = ""):
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="openday-nginx-"))
        compression = (
            "gzip on; gzip_types text/css application/javascript application/json"
            " text/calendar image/svg+xml;"
            if gzip
            else ""
        )
        media = f"location /media/ {{ alias {media_root}/; }}" if media_root else ""
        user = "user root;" if os.geteuid() == 0 else ""
        (self.folder / "nginx.conf").write_text(
            f"""
{user}
worker_processes 1;
pid {self.folder}/nginx.pid;
error_log {self.folder}/error.log warn;
events {{ worker_connections 2048; }}
http {{
    access_log off;
    {compression}
    client_body_temp_path {self.folder}/body;
    proxy_temp_path {self.folder}/proxy;
    fastcgi_temp_path {self.folder}/fastcgi;
    uwsgi_temp_path {self.folder}/uwsgi;
    scgi_temp_path {self.folder}/scgi;
    upstream app {{ server {upstream}; keepalive 16; }}
    server {{
        listen 127.0.0.1:{self.port};
        client_header_timeout 10s;
        client_body_timeout 10s;
        send_timeout 30s;
        keepalive_timeout 15s;
        {media}
        location / {{
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_read_timeout 60s;
        }}
    }}
}}
"""
        )
        self.process = subprocess.Popen(
            [
                "timeout",
                str(LIFETIME),
                "nginx",
                "-p",
                str(self.folder),
                "-c",
                str(self.folder / "nginx.conf"),
                "-g",
                "daemon off;",
            ],
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def close(self) -> None:
        _kill(self.process, signal.SIGTERM)
        shutil.rmtree(self.folder, ignore_errors=True)
