"""Celery, the optional scheduler for the periodic jobs.

Used only when CELERY_BROKER_URL is set; cron or Task Scheduler running
`manage.py run_scheduled_jobs` needs none of this. Beat's schedule
(CELERY_BEAT_SCHEDULE) is built from the jobs every app declares, the same
list `run_scheduled_jobs` runs, and every entry runs the one task below.
"""

import os

from celery import Celery

from common.jobs import BEAT_TASK, job_named

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.prod")

app = Celery("doceamor")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name=BEAT_TASK, ignore_result=False)
def run_scheduled_job(name: str) -> str:
    """Run one scheduled job by name; returns its summary line."""
    from django.conf import settings

    return job_named(settings.SCHEDULED_JOBS, name).run()
