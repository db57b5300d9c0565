"""Send the queued webhook messages whose time has come.

Part of `run_scheduled_jobs`. Safe to run several copies at once: each
message is claimed by one sender.
"""

from django.core.management.base import BaseCommand

from apps.webhooks.sending import webhooks_send_due
from common.commands import add_batch_size, command_errors


class Command(BaseCommand):
    help = (
        "Send queued webhook messages whose next attempt is due; failures back "
        "off (5 s, 30 s, 2 min, 10 min, 30 min, 1 h, then hourly) for "
        "BOOKING_WEBHOOK_RETRY_HOURS."
    )

    def add_arguments(self, parser):
        add_batch_size(parser, default=50, rows="Messages claimed")
        parser.add_argument(
            "--once", action="store_true", help="Send one batch at most, then stop."
        )

    def handle(self, *args, batch_size, once, **options):
        with command_errors("sending webhooks"):
            result = webhooks_send_due(batch_size=batch_size, once=once)
        self.stdout.write(result.summary())
