"""The notification app's periodic jobs (see common.jobs)."""

from common.jobs import ScheduledJob


def queue_reminders() -> str:
    from apps.notifications.reminders import reminders_queue_due

    return reminders_queue_due().summary()


def send_notifications() -> str:
    from apps.notifications.sending import notifications_send_due

    return notifications_send_due().summary()


JOBS = [
    ScheduledJob(
        name="queue_reminders",
        run=queue_reminders,
        order=20,
        every_seconds=60,
        interval_env="BOOKING_NOTIFICATION_INTERVAL_SECONDS",
    ),
    # After everything that queues email, so what they queued leaves in the
    # same run.
    ScheduledJob(
        name="send_notifications",
        run=send_notifications,
        order=80,
        every_seconds=60,
        interval_env="BOOKING_NOTIFICATION_INTERVAL_SECONDS",
    ),
]
