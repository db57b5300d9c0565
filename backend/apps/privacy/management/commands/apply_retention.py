"""Anonymise the bookings past their retention period.

Part of `run_scheduled_jobs` (the job `apply_booking_retention`); on its own
for a one-off run with another batch size. Idempotent; safe to run on
several hosts at once (each batch skips rows another run holds).
"""

from django.conf import settings
from django.core.management.base import BaseCommand

from apps.privacy.services import bookings_apply_retention
from common.commands import add_batch_size, command_errors


class Command(BaseCommand):
    help = (
        "Anonymise completed, cancelled and past bookings older than "
        "BOOKING_RETENTION_DAYS (BOOKING_RETENTION_UNPAID_DAYS for unpaid ones)."
    )

    def add_arguments(self, parser):
        add_batch_size(
            parser, default=settings.BOOKING_RETENTION_BATCH_SIZE, rows="Bookings"
        )

    def handle(self, *args, batch_size, **options):
        with command_errors("applying the retention periods"):
            result = bookings_apply_retention(batch_size=batch_size)
        self.stdout.write(result.summary())
