"""Every scheduled job of every app, in order: the entry point for cron.

The jobs are the ones each app declares in its `jobs.py` (common.jobs), the
same list Celery beat's schedule is built from. A failing job does not stop
the ones after it; the command then exits non-zero.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from common.commands import JOB_ERRORS, failure_message


class Command(BaseCommand):
    help = (
        "Run every scheduled job (expiry, reminders, sending, purges, ...) once, "
        "in order. Run it every minute from cron or Task Scheduler. Safe to run "
        "concurrently."
    )
    # Run every minute: the system checks (which import every URLconf and
    # view) belong to deploys and `manage.py check`.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--list", action="store_true", help="List the jobs in order; run none."
        )

    def handle(self, *args, list, **options):
        if list:
            for job in settings.SCHEDULED_JOBS:
                self.stdout.write(job.name)
            return
        failed = []
        for job in settings.SCHEDULED_JOBS:
            try:
                self.stdout.write(f"{job.name}: {job.run()}")
            except JOB_ERRORS as error:
                self.stderr.write(failure_message(job.name, error))
                failed.append(job.name)
        if failed:
            raise CommandError(f"scheduled jobs failed: {', '.join(failed)}")
