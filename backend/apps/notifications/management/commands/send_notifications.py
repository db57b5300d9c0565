"""Send the queued notifications whose time has come.

Part of `run_scheduled_jobs`. Safe to run several copies at once: each row
is claimed by one sender.
"""

from django.core.management.base import BaseCommand

from apps.notifications.sending import notifications_send_due
from common.commands import add_batch_size, command_errors


class Command(BaseCommand):
    help = (
        "Send queued notification emails whose next attempt is due; failures "
        "back off exponentially and give up after BOOKING_NOTIFICATION_MAX_ATTEMPTS."
    )

    def add_arguments(self, parser):
        add_batch_size(parser, default=100, rows="Notifications claimed")
        parser.add_argument(
            "--once", action="store_true", help="Send one batch at most, then stop."
        )

    def handle(self, *args, batch_size, once, **options):
        with command_errors("sending notifications"):
            result = notifications_send_due(batch_size=batch_size, once=once)
        self.stdout.write(result.summary())
