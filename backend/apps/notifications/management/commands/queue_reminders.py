"""Queue the payment and appointment reminders that have fallen due."""

from django.core.management.base import BaseCommand

from apps.notifications.reminders import reminders_queue_due
from common.commands import add_batch_size, command_errors


class Command(BaseCommand):
    help = (
        "Queue payment reminders (BOOKING_PAYMENT_REMINDER_MINUTES before the "
        "deadline) and appointment reminders (BOOKING_REMINDER_HOURS before the "
        "start), each at most once per booking. send_notifications sends them."
    )

    def add_arguments(self, parser):
        add_batch_size(parser, default=500, rows="Bookings")

    def handle(self, *args, batch_size, **options):
        with command_errors("queueing reminders"):
            result = reminders_queue_due(batch_size=batch_size)
        self.stdout.write(result.summary())
