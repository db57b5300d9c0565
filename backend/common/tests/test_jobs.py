"""The periodic jobs: one list, run by cron and by Celery beat alike."""

import importlib
import sys

import pytest
from django.conf import settings
from django.core.management import call_command

from common.jobs import BEAT_TASK, ScheduledJob, collect, job_named


def _load_base_settings():
    sys.modules.pop("config.settings.base")
    return importlib.import_module("config.settings.base")


@pytest.fixture
def fresh_base_settings():
    original = sys.modules["config.settings.base"]
    yield _load_base_settings
    sys.modules["config.settings.base"] = original


def test_cron_and_celery_beat_run_the_same_jobs(monkeypatch, fresh_base_settings):
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
    base = fresh_base_settings()
    cron_jobs = [job.name for job in base.SCHEDULED_JOBS]
    beat = base.CELERY_BEAT_SCHEDULE
    assert set(beat) == set(cron_jobs)
    assert {entry["task"] for entry in beat.values()} == {BEAT_TASK}
    assert {entry["args"] for entry in beat.values()} == {(n,) for n in cron_jobs}
    # The clean-ups Celery once missed are on both lists.
    assert {"purge_idempotency_keys", "purge_rate_limits"} <= set(cron_jobs)
    assert {"send_webhooks", "purge_webhook_deliveries"} <= set(cron_jobs)


@pytest.mark.django_db
def test_the_command_runs_every_job_of_the_list_in_order(capsys):
    call_command("run_scheduled_jobs")
    lines = capsys.readouterr().out.splitlines()
    names = [job.name for job in settings.SCHEDULED_JOBS]
    assert [line.split(":")[0] for line in lines] == names
    # Expiry first (no reminder for a booking it cancels), then reminders,
    # then sending (what they queued leaves in the same run).
    assert (
        names.index("expire_unpaid_bookings")
        < names.index("queue_reminders")
        < names.index("send_notifications")
    )
    # Webhooks before emails: an endpoint disabled now has its email to the
    # managers sent in the same run.
    assert (
        names.index("queue_reminders")
        < names.index("send_webhooks")
        < names.index("send_notifications")
    )


def test_beat_intervals_come_from_the_environment(monkeypatch, fresh_base_settings):
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    assert fresh_base_settings().CELERY_BEAT_SCHEDULE == {}
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("BOOKING_EXPIRY_INTERVAL_SECONDS", "180")
    monkeypatch.setenv("BOOKING_NOTIFICATION_INTERVAL_SECONDS", "30")
    monkeypatch.setenv("BOOKING_WEBHOOK_INTERVAL_SECONDS", "15")
    beat = fresh_base_settings().CELERY_BEAT_SCHEDULE
    assert beat["send_webhooks"]["schedule"] == 15
    assert beat["expire_unpaid_bookings"]["schedule"] == 180
    assert beat["queue_reminders"]["schedule"] == 30
    assert beat["send_notifications"]["schedule"] == 30
    assert beat["purge_rate_limits"]["schedule"] == 300


def test_a_job_declared_twice_is_refused(monkeypatch):
    job = ScheduledJob(name="twice", run=lambda: "", order=1, every_seconds=60)
    module = type(sys)("apps.fake.jobs")
    module.JOBS = [job, job]
    monkeypatch.setitem(sys.modules, "apps.fake.jobs", module)
    with pytest.raises(ValueError, match="twice"):
        collect(["apps.fake"])


def test_job_named_finds_a_job_or_says_which_is_missing():
    assert job_named(settings.SCHEDULED_JOBS, "purge_rate_limits").order == 90
    with pytest.raises(LookupError, match="nope"):
        job_named(settings.SCHEDULED_JOBS, "nope")
