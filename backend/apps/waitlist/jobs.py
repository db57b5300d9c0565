"""The waiting list's periodic jobs (see common.jobs)."""

from common.jobs import ScheduledJob


def expire_waitlist_offers() -> str:
    from apps.waitlist.services import waitlist_offers_expire

    return f"Ended {waitlist_offers_expire()} waiting-list offers that ran out."


def offer_free_times() -> str:
    from apps.waitlist.services import waitlist_offer_due

    return waitlist_offer_due().summary()


def purge_waitlist_entries() -> str:
    from apps.waitlist.services import waitlist_entries_purge

    return f"Purged {waitlist_entries_purge()} closed waiting-list entries."


JOBS = [
    # After expire_unpaid_bookings (10), which frees slots; offers that ran
    # out end first, so their slots pass on in the same run.
    ScheduledJob(
        name="expire_waitlist_offers",
        run=expire_waitlist_offers,
        order=12,
        every_seconds=60,
        interval_env="BOOKING_WAITLIST_INTERVAL_SECONDS",
    ),
    # Before send_notifications (80), so an offer leaves in the same run.
    ScheduledJob(
        name="offer_free_times",
        run=offer_free_times,
        order=14,
        every_seconds=60,
        interval_env="BOOKING_WAITLIST_INTERVAL_SECONDS",
    ),
    ScheduledJob(
        name="purge_waitlist_entries",
        run=purge_waitlist_entries,
        order=92,
        every_seconds=3600,
    ),
]
