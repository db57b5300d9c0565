"""Read-only queries: a contact's bookings, what to keep, what retention takes."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q

from apps.bookings.models import Booking
from apps.privacy.contacts import MARKER, Contact
from apps.privacy.models import ErasureRecord

Status = Booking.Status

KEPT_UNPAID = "awaiting payment: the booking is still open"
KEPT_AHEAD = "confirmed appointment still ahead"


def bookings_of_contact(contact: Contact):
    """Every booking of the contact, oldest first, with what the export shows."""
    return (
        Booking.objects.filter(contact.bookings_q())
        .select_related("service", "staff", "availability")
        .order_by("created_at", "pk")
    )


def keep_reason(booking: Booking, *, now: datetime) -> str | None:
    """Why a booking must keep its guest's data for now, or None.

    A booking still ahead is one the business must be able to reach the guest
    about: unpaid (a payment may come in, the deadline job will cancel it) or
    confirmed with its appointment not yet over.
    """
    if booking.status == Status.AWAITING_PAYMENT:
        return KEPT_UNPAID
    if booking.status == Status.CONFIRMED:
        ends = booking.ends_at or (
            booking.availability.end_time if booking.availability else None
        )
        if ends is None or ends > now:
            return KEPT_AHEAD
    return None


def retention_due_q(*, now: datetime) -> Q:
    """Bookings past their retention: `BOOKING_RETENTION_DAYS` after the
    appointment ended (completed, cancelled, or confirmed and never marked
    completed), `BOOKING_RETENTION_UNPAID_DAYS` after an unpaid booking was
    cancelled or expired (`updated_at`: its last change). Never a booking
    awaiting payment, never one already anonymised."""
    ended_before = now - timedelta(days=settings.BOOKING_RETENTION_DAYS)
    unpaid_before = now - timedelta(days=settings.BOOKING_RETENTION_UNPAID_DAYS)
    past = Q(
        status__in=[Status.COMPLETED, Status.CANCELLED, Status.CONFIRMED],
        ends_at__lt=ended_before,
    ) | Q(status=Status.CANCELLED, ends_at__isnull=True, created_at__lt=ended_before)
    unpaid = Q(
        status=Status.CANCELLED,
        payment_verified_at__isnull=True,
        updated_at__lt=unpaid_before,
    )
    return (past | unpaid) & ~Q(customer_name=MARKER)


def erasures_of_contact(contact: Contact):
    return ErasureRecord.objects.filter(
        contact_kind=contact.kind, contact_hash=contact.hash
    ).order_by("created_at", "pk")
