"""Anonymise personal data after the retention period. Safe to run every day (cron, a
systemd timer): a second run finds nothing more to do."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from openday.privacy.retention import personal_data_purge


class Command(BaseCommand):
    help = (
        "Anonymise registrations and feedback contact details of activities that ended "
        "more than OPENDAY_RETENTION_DAYS days ago, and delete old phone verification codes."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            # Read when the command runs, so --help shows the setting in force.
            default=settings.OPENDAY_RETENTION_DAYS,
            help="days after an activity ends (default: OPENDAY_RETENTION_DAYS, now %(default)s)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="only count what would be anonymised"
        )

    def handle(self, *args, days=None, dry_run=False, **options):
        days = settings.OPENDAY_RETENTION_DAYS if days is None else days
        if days < 0:
            raise CommandError(_("--days must be 0 or more."))
        result = personal_data_purge(retention_days=days, dry_run=dry_run)
        ended_before = timezone.localtime(result.ended_before).strftime("%Y-%m-%d %H:%M")
        self.stdout.write(
            _("Activities that ended before %(date)s (%(days)d days ago):")
            % {"date": ended_before, "days": days}
        )
        if dry_run:
            lines = [
                _("registrations to anonymise: %(count)d"),
                _("feedback contact details to remove: %(count)d"),
                _("old phone verification codes to delete: %(count)d"),
                _("records of missed activities past the no-show window to delete: %(count)d"),
            ]
        else:
            lines = [
                _("registrations anonymised: %(count)d"),
                _("feedback contact details removed: %(count)d"),
                _("old phone verification codes deleted: %(count)d"),
                _("records of missed activities past the no-show window deleted: %(count)d"),
            ]
        counts = [
            result.registrations,
            result.feedback,
            result.verification_codes,
            result.no_show_records,
        ]
        for line, count in zip(lines, counts, strict=True):
            self.stdout.write("  " + line % {"count": count})
        if dry_run:
            self.stdout.write(self.style.WARNING(_("Dry run: nothing was changed.")))
        else:
            self.stdout.write(self.style.SUCCESS(_("Done.")))
