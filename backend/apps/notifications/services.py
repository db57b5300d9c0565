"""The notifications app's public writes, for other apps, the admin and the jobs.

Each lives in the module of its job: `outbox` (queue and resend emails),
`reminders`, `sending` and `calendars` (staff feed tokens). Other apps may
queue an alert to staff of their own (`staff_alert_queue`), or an email to a
guest they rendered themselves (`guest_email_queue`: the waiting list), in
the guest's language (`in_language`, `local_date`, `local_time`). Booking changes
reach this app only as events (`receivers`); bookings never calls it.
"""

from apps.notifications.calendars import staff_calendar_feed_rotate
from apps.notifications.localize import (
    in_language,
    local_date,
    local_time,
    supported_language,
)
from apps.notifications.outbox import (
    guest_email_queue,
    notification_create,
    notification_resend,
    staff_alert_queue,
)
from apps.notifications.reminders import ReminderResult, reminders_queue_due
from apps.notifications.rendering import greeting_name
from apps.notifications.sending import SendResult, backoff, notifications_send_due

__all__ = [
    "ReminderResult",
    "SendResult",
    "backoff",
    "greeting_name",
    "guest_email_queue",
    "in_language",
    "local_date",
    "local_time",
    "notification_create",
    "notification_resend",
    "notifications_send_due",
    "reminders_queue_due",
    "staff_alert_queue",
    "staff_calendar_feed_rotate",
    "supported_language",
]
