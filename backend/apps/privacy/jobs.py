"""The privacy app's periodic job (see common.jobs)."""

from common.jobs import ScheduledJob


def apply_retention() -> str:
    from apps.privacy.services import bookings_apply_retention

    return bookings_apply_retention().summary()


def send_privacy_links() -> str:
    from apps.privacy.guest import guest_links_send, guest_requests_purge

    sent = guest_links_send()
    purged = guest_requests_purge()
    return f"Sent {sent} links to export or erase personal data; purged {purged}."


JOBS = [
    # Before sending, so a link asked for now leaves in the same run.
    ScheduledJob(
        name="send_privacy_links",
        run=send_privacy_links,
        order=31,
        every_seconds=60,
        interval_env="BOOKING_NOTIFICATION_INTERVAL_SECONDS",
    ),
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
