"""Cancel unpaid bookings past their payment deadline and free their slots.

Part of `run_scheduled_jobs`; on its own for a one-off run with options (a
dry run, a backlog without emails). Safe to run repeatedly and on several
hosts at once.
"""

from django.core.management.base import BaseCommand

from apps.bookings.services import bookings_expire_unpaid
from common.commands import add_batch_size, command_errors


class Command(BaseCommand):
    help = (
        "Cancel bookings still awaiting payment after their payment_expires_at, "
        "releasing their slots. Idempotent; safe to run concurrently."
    )
    # A job run every minute: the system checks (which import every URLconf
    # and view) belong to deploys and `manage.py check`, and cost each run
    # about half a second.
    requires_system_checks = []

    def add_arguments(self, parser):
        add_batch_size(parser, default=500, rows="Bookings")
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
        with command_errors("expiring unpaid bookings"):
            result = bookings_expire_unpaid(
                batch_size=batch_size, dry_run=dry_run, notify=not no_email
            )
        if dry_run:
            self.stdout.write(
                f"Dry run: {result.expired} unpaid bookings are past their "
                "deadline; nothing was changed."
            )
            return
        self.stdout.write(result.summary())
