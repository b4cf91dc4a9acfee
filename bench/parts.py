"""Parts that fault tests and `bench/faults.py` start for themselves and then break on
purpose: a Redis server, a PostgreSQL cluster, a mail server that accepts, refuses or
hangs, and nginx. Each binds 127.0.0.1 on a free port, is stopped by its PID, and ends by
itself after LIFETIME seconds if its owner dies first."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time

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
