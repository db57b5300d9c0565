"""Celery tasks: the same functions the cron commands call."""

from celery import shared_task

from apps.notifications.services import notifications_send_due, reminders_queue_due


@shared_task(name="notifications.send_notifications", ignore_result=False)
def send_notifications(batch_size: int = 100) -> dict:
    result = notifications_send_due(batch_size=batch_size)
    return {"sent": result.sent, "retried": result.retried, "failed": result.failed}


@shared_task(name="notifications.queue_reminders", ignore_result=False)
def queue_reminders(batch_size: int = 500) -> dict:
    result = reminders_queue_due(batch_size=batch_size)
    return {
        "payment": result.payment,
        "appointment": result.appointment,
        "skipped": result.skipped,
    }
