"""The booking app's periodic jobs (see common.jobs)."""

from common.jobs import ScheduledJob


def expire_unpaid_bookings() -> str:
    from apps.bookings.services import bookings_expire_unpaid

    return bookings_expire_unpaid().summary()


def purge_idempotency_keys() -> str:
    from apps.bookings.idempotency import purge_expired

    return f"Purged {purge_expired()} idempotency keys past their 24 hours."


def send_access_links() -> str:
    from apps.bookings.guest_access import access_links_send

    return f"Sent {access_links_send()} links to manage guessed-at bookings."


JOBS = [
    # First: a booking cancelled for non-payment gets no payment reminder.
    ScheduledJob(
        name="expire_unpaid_bookings",
        run=expire_unpaid_bookings,
        order=10,
        every_seconds=120,
        interval_env="BOOKING_EXPIRY_INTERVAL_SECONDS",
    ),
    # Before sending, so a link requested now leaves in the same run.
    ScheduledJob(
        name="send_access_links",
        run=send_access_links,
        order=30,
        every_seconds=60,
        interval_env="BOOKING_NOTIFICATION_INTERVAL_SECONDS",
    ),
    ScheduledJob(
        name="purge_idempotency_keys",
        run=purge_idempotency_keys,
        order=90,
        every_seconds=600,
    ),
]
