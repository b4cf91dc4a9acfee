"""Fill places that opened without a cancellation from the waiting lists.

A cancellation promotes at once (`registration_cancel`), and so does staff raising the
capacity or lowering invitation seats (`sub_event_places_changed`). Places also open when
the time staff set for releasing unused invitation places passes; nothing happens at that
moment, so the operator runs this command every minute or so (cron, a systemd timer).
It also catches a promotion that found the database busy. Running it when nothing changed
changes nothing.
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
