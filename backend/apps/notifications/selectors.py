"""Read-only queries of notifications and calendar feeds."""

import secrets
from datetime import datetime, timedelta

from apps.bookings.models import Booking
from apps.bookings.selectors import bookings_active_of_staff
from apps.notifications.models import Notification, StaffCalendarFeed

FEED_PAST_DAYS = 30
FEED_FUTURE_DAYS = 180


def notification_list(*, booking: Booking | None = None):
    notifications = Notification.objects.all()
    if booking is not None:
        notifications = notifications.filter(booking=booking)
    return notifications


def staff_calendar_feed_get(*, staff_id: int, token: str) -> StaffCalendarFeed | None:
    """The feed of a staff member if `token` opens it, else None.

    The comparison takes the same time however much of the token matches.
    """
    feed = (
        StaffCalendarFeed.objects.select_related("staff")
        .filter(staff_id=staff_id)
        .first()
    )
    if feed is None or not secrets.compare_digest(
        feed.token.encode(), (token or "").encode()
    ):
        return None
    return feed


def staff_calendar_bookings(*, staff_id: int, now: datetime):
    """Active bookings of one staff member from 30 days ago to 180 days ahead."""
    return bookings_active_of_staff(
        staff_id=staff_id,
        starts_from=now - timedelta(days=FEED_PAST_DAYS),
        starts_before=now + timedelta(days=FEED_FUTURE_DAYS),
    )
