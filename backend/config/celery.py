"""Celery, the optional Phase 2 scheduler for the expiry job.

Used only when CELERY_BROKER_URL is set; cron or Task Scheduler running
`manage.py expire_unpaid_bookings` needs none of this.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.prod")

app = Celery("doceamor")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
