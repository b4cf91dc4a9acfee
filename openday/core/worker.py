"""The background worker that outlives a database outage and takes back what a dead
worker left behind.

django-tasks' `db_worker` exits on the first database error, and a task it was running
when it was killed stays RUNNING for good. `SupervisedWorker` (`manage.py task_worker`,
the same options as `db_worker`):

- keeps running through an outage: it says so once, waits (1 s, doubling up to 30 s)
  and carries on once the database answers;
- does the work of the clock it is given (`periodic`: seconds between runs, and what to
  run; the command adds sending what is due, so no cron entry is needed), the first run
  at start;
- at start, after an outage and every RECOVER_EVERY_SECONDS, puts back to READY the
  tasks nobody is running any more: RUNNING tasks last claimed by this worker's own ID
  (a previous life of it: give each worker a stable `--worker-id` of its own, as the
  systemd unit does) or started more than OPENDAY_TASK_LEASE_SECONDS ago (a worker that
  died and was not restarted), and tasks that failed because the database went away.

A task may therefore run again after a crash: tasks must be safe to run twice. (A
message that a mail server accepted in the instant before its worker was killed is sent
again; records of what was sent close that gap.)
"""

from __future__ import annotations

import logging
import random
import signal
import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connections
from django.db.models import Q
from django.utils import timezone
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

logger = logging.getLogger("openday.worker")

RECOVER_EVERY_SECONDS = 60
OUTAGE_ERRORS = (OperationalError, InterfaceError)
# A task that failed with one of these did not fail: the database was away.
OUTAGE_ERROR_PATHS = [
    "django.db.utils.OperationalError",
    "django.db.utils.InterfaceError",
    "psycopg2.OperationalError",
    "psycopg2.InterfaceError",
]
# Failures older than this are left alone (someone may have looked at them already).
RETRY_OUTAGE_FAILURES_WITHIN = timedelta(days=1)


def recover_abandoned(*, worker_id: str, lease_seconds: float) -> int:
    """Return abandoned tasks to READY; how many."""
    now = timezone.now()
    recovered = 0
    running = DBTaskResult.objects.running().values_list("pk", "worker_ids", "started_at")
    for pk, worker_ids, started_at in running:
        mine = bool(worker_ids) and worker_ids[-1] == worker_id
        expired = started_at is None or started_at < now - timedelta(seconds=lease_seconds)
        if mine or expired:
            # Only while it is still RUNNING under the same claim.
            recovered += DBTaskResult.objects.filter(
                pk=pk, status="RUNNING", started_at=started_at
            ).update(status="READY", started_at=None)
    recovered += DBTaskResult.objects.filter(
        Q(exception_class_path__in=OUTAGE_ERROR_PATHS),
        status="FAILED",
        finished_at__gte=now - RETRY_OUTAGE_FAILURES_WITHIN,
    ).update(
        status="READY", started_at=None, finished_at=None, exception_class_path="", traceback=""
    )
    if recovered:
        logger.warning("took back %d task(s) a worker or the database left unfinished", recovered)
    return recovered


class SupervisedWorker(db_worker.Worker):
    # Seconds to wait after the database failed; doubled after each failure up to the last.
    outage_waits = (1.0, 30.0)
    # Work by the clock between tasks: (seconds between runs, what to run).
    periodic: tuple[tuple[float, Callable[[], object]], ...] = ()

    def _run_periodic(self, next_runs: list[float]) -> None:
        for index, (every, work) in enumerate(self.periodic):
            if time.monotonic() < next_runs[index]:
                continue
            next_runs[index] = time.monotonic() + every
            try:
                work()
            except OUTAGE_ERRORS:
                raise
            except Exception:
                # A fault in one round must not stop the worker: the next round tries again.
                logger.exception("periodic work %s failed", getattr(work, "__name__", work))

    def _next_task(self) -> tuple[bool, DBTaskResult | None]:
        """(whether the queue could be read, the task claimed for this worker or None)."""
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        with exclusive_transaction(tasks.db):
            try:
                task_result = tasks.get_locked()
                if task_result is not None:
                    task_result.claim(self.worker_id)
            except OperationalError as error:
                if is_locked_database_exception(error):  # SQLite: another worker writes
                    return False, None
                raise
        return True, task_result

    def run(self) -> None:
        logger.info("worker %s takes tasks from %s", self.worker_id, ",".join(self.queue_names))
        if self.startup_delay and self.interval:
            time.sleep(random.random())  # workers started together do not poll together
        first_wait, last_wait = self.outage_waits
        delay, down_since, next_recovery = first_wait, None, 0.0
        next_periodic = [0.0] * len(self.periodic)
        while self.running:
            try:
                if time.monotonic() >= next_recovery:
                    recover_abandoned(
                        worker_id=self.worker_id, lease_seconds=settings.OPENDAY_TASK_LEASE_SECONDS
                    )
                    next_recovery = time.monotonic() + RECOVER_EVERY_SECONDS
                self._run_periodic(next_periodic)
                read, task_result = self._next_task()
                if down_since is not None:
                    logger.warning(
                        "database answers again after %.0f s", time.monotonic() - down_since
                    )
                    delay, down_since = first_wait, None
                if task_result is not None:
                    self.run_task(task_result)
                elif self.batch and read:
                    return
                if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                    return
                close_old_connections()
                if self.running and task_result is None:
                    time.sleep(self.interval)
            except OUTAGE_ERRORS as error:
                if down_since is None:
                    down_since = time.monotonic()
                    first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
                    logger.error("database unavailable (%s); waiting for it", first_line)
                for connection in connections.all(initialized_only=True):
                    connection.close()
                time.sleep(delay)
                delay = min(delay * 2, last_wait)
                # What was running when the database went is RUNNING under this worker's
                # ID, or FAILED with the database's error: take it back as soon as it can.
                next_recovery = 0.0


class Command(db_worker.Command):
    help = (
        "Run the background worker: db_worker's options, kept alive through database "
        "outages, and taking back tasks a dead worker left running."
    )

    def periodic_work(self) -> tuple[tuple[float, Callable[[], object]], ...]:
        """Work by the clock for the worker; a command of an upper layer adds its own."""
        return ()

    def handle(self, *args, **options):
        # db_worker builds its Worker by name: swap in the supervised one for this run.
        original = db_worker.Worker
        # The worker installs its own SIGINT/SIGTERM handlers; a caller that runs the
        # command in-process (tests, call_command) gets its own back afterwards.
        handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
        db_worker.Worker = type(
            "SupervisedWorker", (SupervisedWorker,), {"periodic": tuple(self.periodic_work())}
        )
        try:
            return super().handle(*args, **options)
        finally:
            db_worker.Worker = original
            for number, handler in handlers.items():
                signal.signal(number, handler)
