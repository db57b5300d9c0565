"""The business calendar's periodic job (see common.jobs)."""

from common.jobs import ScheduledJob


def fill_slot_horizon() -> str:
    from apps.schedules.services import slots_fill_horizon

    return slots_fill_horizon().summary()


JOBS = [
    # Before expiry and reminders: slots first, then what happens to bookings.
    ScheduledJob(
        name="fill_slot_horizon",
        run=fill_slot_horizon,
        order=5,
        every_seconds=900,
        interval_env="BOOKING_SLOT_HORIZON_INTERVAL_SECONDS",
    ),
]
