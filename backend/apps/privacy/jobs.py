"""The privacy app's periodic job (see common.jobs)."""

from common.jobs import ScheduledJob


def apply_retention() -> str:
    from apps.privacy.services import bookings_apply_retention

    return bookings_apply_retention().summary()


JOBS = [
    # With the purges, after sending: an email queued this run about a
    # booking leaves before the booking could be anonymised.
    ScheduledJob(
        name="apply_booking_retention",
        run=apply_retention,
        order=95,
        every_seconds=3600,
        interval_env="BOOKING_RETENTION_INTERVAL_SECONDS",
    ),
]
