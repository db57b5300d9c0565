"""Read-only queries of bookings: what staff see, what a guest may look up."""

import hmac

from django.db.models import QuerySet

from apps.bookings.models import Booking, phone_digits


def booking_list() -> QuerySet[Booking]:
    return Booking.objects.select_related(
        "service", "staff", "availability", "payment_verified_by"
    )


def booking_for_guest(
    *, reference: str, email: str = "", phone: str = ""
) -> Booking | None:
    """The booking with this reference, if the email or phone matches it.

    A wrong contact and an unknown reference give the same None, so the
    lookup reveals nothing about other people's bookings.
    """
    booking = booking_list().filter(reference=reference.strip().upper()).first()
    if booking is None:
        return None
    email_matches = bool(email) and hmac.compare_digest(
        booking.customer_email.strip().lower(), email.strip().lower()
    )
    digits = phone_digits(phone)
    phone_matches = bool(digits) and hmac.compare_digest(
        booking.customer_phone_digits, digits
    )
    return booking if email_matches or phone_matches else None
