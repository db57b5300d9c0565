"""The periodic jobs: declared once per app, run by cron and Celery beat alike.

Each app lists its jobs in `<app>/jobs.py` (`JOBS`). `run_scheduled_jobs`
(cron, Task Scheduler) runs them all in `order`; Celery beat's schedule is
built from the same list (`beat_schedule`), each entry running the one task
`scheduled_jobs.run` with the job's name. A job module holds plain data and
functions that import the app's code when called, so the settings can read
the list before the apps are loaded.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import import_module

BEAT_TASK = "scheduled_jobs.run"


@dataclass(frozen=True)
class ScheduledJob:
    """One periodic job: what runs, in which order, how often under Celery.

    `run` returns the one-line summary the command prints. `order` places it
    among all jobs (expiry before reminders, sending last but the purges).
    `interval_env` names the environment variable that sets the seconds
    between Celery runs, `every_seconds` its default.
    """

    name: str
    run: Callable[[], str]
    order: int
    every_seconds: int
    interval_env: str = ""


def collect(installed_apps: Iterable[str]) -> list[ScheduledJob]:
    """Every installed app's jobs, in run order; names must be unique."""
    jobs = []
    for app in installed_apps:
        if not app.startswith("apps."):
            continue
        try:
            module = import_module(f"{app}.jobs")
        except ModuleNotFoundError as error:
            if error.name != f"{app}.jobs":
                raise
            continue
        jobs.extend(module.JOBS)
    names = [job.name for job in jobs]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise ValueError(f"scheduled jobs declared twice: {duplicated}")
    return sorted(jobs, key=lambda job: (job.order, job.name))


def beat_schedule(
    jobs: Iterable[ScheduledJob], *, seconds: Callable[[ScheduledJob], int]
) -> dict:
    """Celery beat's schedule for these jobs: one entry per job, same names."""
    return {
        job.name: {"task": BEAT_TASK, "schedule": seconds(job), "args": (job.name,)}
        for job in jobs
    }


def job_named(jobs: Iterable[ScheduledJob], name: str) -> ScheduledJob:
    for job in jobs:
        if job.name == name:
            return job
    raise LookupError(f"no scheduled job named {name!r}")
