"""Celery tasks: the same domain function the cron command calls."""

from celery import shared_task

from apps.bookings.services import bookings_expire_unpaid


@shared_task(name="bookings.expire_unpaid_bookings", ignore_result=False)
def expire_unpaid_bookings(batch_size: int = 500) -> dict:
    result = bookings_expire_unpaid(batch_size=batch_size)
    return {
        "expired": result.expired,
        "slots_released": result.slots_released,
        "batches": result.batches,
    }
