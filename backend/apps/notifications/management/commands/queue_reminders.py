"""Queue the payment and appointment reminders that have fallen due."""

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from apps.bookings.management.commands.expire_unpaid_bookings import positive_int
from apps.notifications.services import reminders_queue_due


class Command(BaseCommand):
    help = (
        "Queue payment reminders (BOOKING_PAYMENT_REMINDER_MINUTES before the "
        "deadline) and appointment reminders (BOOKING_REMINDER_HOURS before the "
        "start), each at most once per booking. send_notifications sends them."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size",
            type=positive_int,
            default=500,
            help="Bookings per transaction (default 500).",
        )

    def handle(self, *args, batch_size, **options):
        try:
            result = reminders_queue_due(batch_size=batch_size)
        except DatabaseError as error:
            first_line = str(error).strip().splitlines()[0] if str(error) else ""
            raise CommandError(
                f"queueing reminders failed: {type(error).__name__}: {first_line}"
            ) from error
        self.stdout.write(
            f"Queued {result.payment} payment and {result.appointment} appointment "
            f"reminders ({result.skipped} no longer needed)."
        )
