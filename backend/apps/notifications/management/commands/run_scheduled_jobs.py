"""Every scheduled job in order: expiry, reminders, sending, counter purge.

The one entry point for cron and Task Scheduler. Expiry runs first so a
booking cancelled for non-payment gets no payment reminder; sending runs
last so what the first two queued leaves in the same run. A failing job
does not stop the ones after it; the command then exits non-zero.
"""

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

JOBS = (
    "expire_unpaid_bookings",
    "queue_reminders",
    "send_notifications",
    "purge_rate_limits",
)


class Command(BaseCommand):
    help = (
        "Run expire_unpaid_bookings, queue_reminders, send_notifications and "
        "purge_rate_limits, in that order. Safe to run concurrently."
    )

    def handle(self, *args, **options):
        failed = []
        for job in JOBS:
            try:
                call_command(job, stdout=self.stdout, stderr=self.stderr)
            except CommandError as error:
                self.stderr.write(f"{job}: {error}")
                failed.append(job)
        if failed:
            raise CommandError(f"scheduled jobs failed: {', '.join(failed)}")
