"""Fill places that opened without a cancellation from the waiting lists.

Places open at once for the waiting list on a cancellation (`registration_cancel`), on
staff raising the capacity or lowering invitation seats (`sub_event_places_changed`), and
when unused invitation places are released (a task the worker runs at that time, or the
next booking on the activity). This command catches whatever those missed: a promotion
that found the database busy, a release with no worker running. Run it every few minutes
(cron, a systemd timer); when nothing changed it changes nothing.
"""

from django.core.management.base import BaseCommand
from django.db.models import Exists, OuterRef
from django.utils import timezone

from openday.events.models import SubEvent
from openday.registrations import services
from openday.registrations.models import Registration


class Command(BaseCommand):
    help = "Move waitlisted registrations up wherever places have opened."

    def handle(self, *args, **options):
        waiting = Registration.objects.waitlisted().filter(sub_event=OuterRef("pk"))
        candidates = (
            SubEvent.objects.filter(is_cancelled=False, ends_at__gt=timezone.now())
            .filter(Exists(waiting))
            .with_places_left()
            .filter(places_left__gt=0)
            .values_list("pk", flat=True)
        )
        promoted = 0
        for sub_event_id in candidates:
            promoted += len(services.sub_event_promote_waitlist(sub_event_id=sub_event_id))
        self.stdout.write(f"promoted: {promoted}")
