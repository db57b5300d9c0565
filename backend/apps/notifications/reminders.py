"""Payment and appointment reminders, each queued at most once per booking.

Appointment reminders are armed (a `pending` row with `due_at`) when a
payment is confirmed and re-armed by a reschedule; payment reminders need no
arming (the unpaid-deadline index finds them). The job reads bookings through
bookings' selectors and locks them through its services, skipping rows
another writer holds.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.bookings import selectors as booking_selectors
from apps.bookings.models import Booking
from apps.bookings.services import bookings_lock_skipping_held
from apps.notifications import calendars, outbox
from apps.notifications.models import Notification, Reminder

logger = logging.getLogger(__name__)

Kind = Notification.Kind


def arm_appointment_reminder(booking: Booking, *, now: datetime) -> None:
    """Arm (or re-arm) the reminder for the booking's current start time.

    A booking confirmed or moved inside the reminder window has just had an
    email with the invite, so it gets no reminder on top.
    """
    hours = settings.BOOKING_REMINDER_HOURS
    if not hours:
        return
    due_at = booking.availability.start_time - timedelta(hours=hours)
    status = Reminder.Status.PENDING if due_at > now else Reminder.Status.SKIPPED
    Reminder.objects.update_or_create(
        booking=booking,
        kind=Reminder.Kind.APPOINTMENT,
        defaults={
            "due_at": due_at,
            "status": status,
            "notification": None,
            "done_at": None if status == Reminder.Status.PENDING else now,
        },
    )


@dataclass
class ReminderResult:
    payment: int = 0
    appointment: int = 0
    skipped: int = 0

    def summary(self) -> str:
        return (
            f"Queued {self.payment} payment and {self.appointment} appointment "
            f"reminders ({self.skipped} no longer needed)."
        )


def reminders_queue_due(
    *, now: datetime | None = None, batch_size: int = 500
) -> ReminderResult:
    """Queue every payment and appointment reminder that has fallen due.

    Each is queued at most once per booking, even with two copies of the job:
    bookings are locked with SKIP LOCKED and re-checked under the lock, and
    the reminder row (unique per booking and kind) commits with the email.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    now = now or timezone.now()
    result = ReminderResult()
    if settings.BOOKING_PAYMENT_REMINDER_MINUTES:
        while queued := _queue_payment_reminders(now=now, batch_size=batch_size):
            result.payment += queued
    if settings.BOOKING_REMINDER_HOURS:
        while True:
            sent, skipped = _queue_appointment_reminders(now=now, batch_size=batch_size)
            if not sent + skipped:
                break
            result.appointment += sent
            result.skipped += skipped
    logger.info(
        "queue_reminders: payment=%d appointment=%d skipped=%d",
        result.payment,
        result.appointment,
        result.skipped,
    )
    return result


def payment_reminders_due(*, now: datetime):
    """Unpaid bookings inside the reminder window that had none yet.

    Served by the unpaid-deadline index (`booking_unpaid_expiry_idx`) and the
    reminder's unique (booking, kind) index. A booking created inside the
    window (a timeout shorter than the reminder) gets none.
    """
    window = timedelta(minutes=settings.BOOKING_PAYMENT_REMINDER_MINUTES)
    return (
        booking_selectors.bookings_unpaid_with_deadline_within(now=now, window=window)
        .exclude(reminders__kind=Reminder.Kind.PAYMENT)
        .order_by("payment_expires_at", "pk")
    )


def _queue_payment_reminders(*, now: datetime, batch_size: int) -> int:
    window = timedelta(minutes=settings.BOOKING_PAYMENT_REMINDER_MINUTES)
    candidate_ids = list(
        payment_reminders_due(now=now).values_list("pk", flat=True)[:batch_size]
    )
    if not candidate_ids:
        return 0
    with transaction.atomic():
        bookings = bookings_lock_skipping_held(
            payment_reminders_due(now=now).filter(pk__in=candidate_ids)
        )
        # The lock's statement read the reminders as they were when it began:
        # another job's, committed while it waited for a row, shows only to a
        # statement begun after (READ COMMITTED), so ask once more.
        reminded = set(
            Reminder.objects.filter(
                booking__in=bookings, kind=Reminder.Kind.PAYMENT
            ).values_list("booking_id", flat=True)
        )
        bookings = [booking for booking in bookings if booking.pk not in reminded]
        if not bookings:
            return 0
        notifications = outbox.queue(
            [
                outbox.build_to_guest(
                    Kind.PAYMENT_REMINDER, booking, now=now, guest_triggered=True
                )
                for booking in bookings
            ]
        )
        Reminder.objects.bulk_create(
            Reminder(
                booking=booking,
                kind=Reminder.Kind.PAYMENT,
                due_at=booking.payment_expires_at - window,
                status=Reminder.Status.SENT,
                notification=notification,
                done_at=now,
            )
            for booking, notification in zip(bookings, notifications, strict=True)
        )
    return len(bookings)


def _queue_appointment_reminders(*, now: datetime, batch_size: int) -> tuple[int, int]:
    due = Reminder.objects.filter(
        status=Reminder.Status.PENDING,
        kind=Reminder.Kind.APPOINTMENT,
        due_at__lte=now,
    ).order_by("due_at", "pk")
    candidates = list(due.values_list("pk", "booking_id")[:batch_size])
    if not candidates:
        return 0, 0
    with transaction.atomic():
        # Booking first, then its reminder: the order a reschedule takes.
        bookings = {
            booking.pk: booking
            for booking in bookings_lock_skipping_held(
                booking_selectors.booking_list().filter(
                    pk__in=[booking_id for _, booking_id in candidates]
                )
            )
        }
        reminders = list(
            due.select_for_update(skip_locked=True).filter(
                pk__in=[pk for pk, _ in candidates], booking_id__in=list(bookings)
            )
        )
        if not reminders:
            return 0, 0
        to_send, to_skip = [], []
        for reminder in reminders:
            booking = bookings[reminder.booking_id]
            still_ahead = (
                booking.status == Booking.Status.CONFIRMED
                and booking.availability is not None
                and booking.availability.start_time > now
            )
            (to_send if still_ahead else to_skip).append(reminder)
        sequences = outbox.ics_sequences([r.booking_id for r in to_send])
        notifications = outbox.queue(
            [
                outbox.build_to_guest(
                    Kind.APPOINTMENT_REMINDER,
                    bookings[reminder.booking_id],
                    now=now,
                    invite_method=calendars.METHOD_REQUEST,
                    ics_sequence=sequences.get(reminder.booking_id, 0),
                )
                for reminder in to_send
            ]
        )
        for reminder, notification in zip(to_send, notifications, strict=True):
            reminder.status = Reminder.Status.SENT
            reminder.notification = notification
            reminder.done_at = now
        for reminder in to_skip:
            reminder.status = Reminder.Status.SKIPPED
            reminder.done_at = now
        Reminder.objects.bulk_update(reminders, ["status", "notification", "done_at"])
    return len(to_send), len(to_skip)
