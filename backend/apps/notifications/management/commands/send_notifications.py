"""Send the queued notifications whose time has come.

Run every minute or two by cron or Task Scheduler (usually through
`run_scheduled_jobs`). Safe to run several copies at once: each row is
claimed by one sender.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from apps.bookings.management.commands.expire_unpaid_bookings import positive_int
from apps.notifications.services import notifications_send_due


class Command(BaseCommand):
    help = (
        "Send queued notification emails whose next attempt is due; failures "
        "back off exponentially and give up after BOOKING_NOTIFICATION_MAX_ATTEMPTS."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size",
            type=positive_int,
            default=100,
            help="Notifications claimed at a time (default 100).",
        )
        parser.add_argument(
            "--once", action="store_true", help="Send one batch at most, then stop."
        )

    def handle(self, *args, batch_size, once, **options):
        try:
            result = notifications_send_due(batch_size=batch_size, once=once)
        except DatabaseError as error:
            first_line = str(error).strip().splitlines()[0] if str(error) else ""
            raise CommandError(
                f"sending notifications failed: {type(error).__name__}: {first_line}"
            ) from error
        self.stdout.write(
            f"Sent {result.sent} notifications, {result.retried} to retry, "
            f"{result.failed} failed, in {result.batches} batches "
            f"({result.duration_seconds:.2f}s)."
        )
