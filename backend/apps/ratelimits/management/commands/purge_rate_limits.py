"""Delete the throttle counters of windows that have ended.

Part of run_scheduled_jobs, so no request pays for the cleanup. Stale rows
never change a decision (a new window has a new row); the purge only keeps
the table at about one row per active client and scope.
"""

import time

from django.core.management.base import BaseCommand

from apps.ratelimits.services import ratelimit_counters_purge


class Command(BaseCommand):
    help = "Delete rate-limit counters of ended windows. Safe to run concurrently."

    def handle(self, *args, **options):
        deleted = ratelimit_counters_purge(now=time.time())
        self.stdout.write(f"Purged {deleted} rate-limit counters")
