"""`manage.py task_worker`: the task queue's worker (see openday.core.worker), which also
does `send_due_notifications`' work every OPENDAY_SEND_DUE_SECONDS (60; 0: leave it to
cron): reminders, survey invitations and held-back messages go out without a cron entry.
Of several workers, one at a time does it on PostgreSQL; elsewhere two may, which is
harmless (sending is idempotent) but wasted work.
"""

import logging

from django.conf import settings

from openday.core.worker import Command as WorkerCommand
from openday.notifications.services import send_due_exclusively

logger = logging.getLogger("openday.worker")


def send_due_notifications() -> None:
    figures = send_due_exclusively()
    if figures and any(figures.values()):
        logger.info(
            "due messages: %(reminders)d reminders, %(surveys)d survey invitations, "
            "%(recovered)d taken back, %(due)d queued",
            figures,
        )


class Command(WorkerCommand):
    def periodic_work(self):
        every = settings.OPENDAY_SEND_DUE_SECONDS
        return ((every, send_due_notifications),) if every > 0 else ()
