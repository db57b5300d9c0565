"""Emails about bookings. They leave only after the transaction commits.

A booking never fails or rolls back because an email could not be sent:
sending runs in `transaction.on_commit`, and every failure is logged.
"""

import logging
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from apps.bookings.models import Booking, BookingEvent

logger = logging.getLogger(__name__)

BOOKING_CREATED = "booking_created"
PAYMENT_CONFIRMED = "payment_confirmed"
BOOKING_CANCELLED = "booking_cancelled"
BOOKING_RESCHEDULED = "booking_rescheduled"
NEW_BOOKING_STAFF = "new_booking_staff"


def _local(moment) -> str:
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    return f"{local:%A %d %B %Y, %H:%M} ({local.tzname()})"


def _cancelled_by(booking: Booking) -> str:
    last_event = booking.events.order_by("-created_at", "-pk").first()
    return last_event.source if last_event else BookingEvent.Source.STAFF


def _send(kind: str, booking: Booking, recipient: str) -> None:
    context = {
        "booking": booking,
        "start": _local(
            booking.availability.start_time if booking.availability else None
        ),
        "pay_by": _local(booking.payment_expires_at),
        "currency": settings.BOOKING_CURRENCY,
        "instructions": settings.BOOKING_PAYMENT_INSTRUCTIONS,
    }
    if kind == BOOKING_CANCELLED:
        context["cancelled_by"] = _cancelled_by(booking)
    subject = render_to_string(f"bookings/email/{kind}_subject.txt", context)
    body = render_to_string(f"bookings/email/{kind}.txt", context)
    send_mail(" ".join(subject.split()), body, None, [recipient])


def send_booking_emails(kind: str, booking_ids: list[int]) -> None:
    """Send one kind of email for each booking; log, never raise, on failure."""
    try:
        bookings = list(
            Booking.objects.select_related("service", "staff", "availability").filter(
                pk__in=booking_ids
            )
        )
    except Exception:
        logger.exception("could not load bookings %s for %s emails", booking_ids, kind)
        return
    for booking in bookings:
        try:
            _send(kind, booking, booking.customer_email)
            if kind == BOOKING_CREATED and settings.BOOKING_NOTIFY_EMAIL:
                _send(NEW_BOOKING_STAFF, booking, settings.BOOKING_NOTIFY_EMAIL)
        except Exception:
            logger.exception(
                "could not send the %s email for booking %s", kind, booking.reference
            )


def notify_on_commit(kind: str, *booking_ids: int) -> None:
    """Queue the emails to leave when (and only if) the transaction commits."""
    transaction.on_commit(partial(send_booking_emails, kind, list(booking_ids)))
