"""`manage.py send_due_notifications`: send what is due now (SPEC §3).

Reminders before an activity, survey invitations after a visit, and messages that waited
for the night to end, for the SMS budget or for a retry. Run it from cron every few
minutes when no task worker does it (`task_worker` runs the same every
OPENDAY_SEND_DUE_SECONDS); running it twice, or in two processes at once, sends nothing
twice.
"""

from django.core.management.base import BaseCommand

from openday.notifications.services import send_due


class Command(BaseCommand):
    help = "Send the reminders, survey invitations and held-back messages that are due now."

    def handle(self, *args, **options):
        figures = send_due()
        self.stdout.write(
            "reminders due: {reminders}, survey invitations due: {surveys}, "
            "taken back from stopped workers: {recovered}, sent or queued now: {due}".format(
                **figures
            )
        )
