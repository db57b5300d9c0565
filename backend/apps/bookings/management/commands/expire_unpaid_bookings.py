"""Cancel unpaid bookings past their payment deadline and free their slots.

Run every 1-5 minutes by cron or Windows Task Scheduler (see
docs/operations.md). Safe to run repeatedly and on several hosts at once.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from apps.bookings import idempotency
from apps.bookings.services import bookings_expire_unpaid
from common.exceptions import DomainError


def positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Cancel bookings still awaiting payment after their payment_expires_at, "
        "releasing their slots. Idempotent; safe to run concurrently. Also "
        "deletes Idempotency-Key records older than 24 hours."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size",
            type=positive_int,
            default=500,
            help="Bookings per transaction (default 500).",
        )
        parser.add_argument(
            "--no-email",
            action="store_true",
            help="Do not email the guests (e.g. when clearing a legacy backlog).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Count the bookings that would expire; change nothing.",
        )

    def handle(self, *args, batch_size, dry_run, no_email, **options):
        try:
            result = bookings_expire_unpaid(
                batch_size=batch_size, dry_run=dry_run, notify=not no_email
            )
            if not dry_run:
                idempotency.purge_expired()
        except (DatabaseError, DomainError) as error:
            first_line = str(error).strip().splitlines()[0] if str(error) else ""
            raise CommandError(
                f"expiring unpaid bookings failed: {type(error).__name__}: {first_line}"
            ) from error
        if dry_run:
            self.stdout.write(
                f"Dry run: {result.expired} unpaid bookings are past their "
                "deadline; nothing was changed."
            )
            return
        self.stdout.write(
            f"Expired {result.expired} unpaid bookings, released "
            f"{result.slots_released} slots in {result.batches} batches "
            f"({result.duration_seconds:.2f}s)."
        )
