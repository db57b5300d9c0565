"""Recording a payment under the booking's lock: shared by verification and
by a booking the desk takes and is paid for on the spot (create)."""

from datetime import datetime

from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from apps.bookings import exceptions
from apps.bookings.models import Booking, BookingEvent, DeskPayment
from apps.bookings.services.events import record_event


def check_transition(booking: Booking, to_status: str) -> None:
    if not booking.can_transition_to(to_status):
        raise exceptions.InvalidTransition(
            _("A booking in status '%(status)s' cannot become '%(to_status)s'.")
            % {"status": booking.status, "to_status": to_status}
        )


def verify_payment_locked(
    booking: Booking,
    *,
    actor,
    source: str,
    now: datetime,
    note: str = "",
    desk_method: str = "",
) -> None:
    """`awaiting_payment` -> `confirmed`, recording who, when and (at the desk)
    how; the caller holds the booking's lock."""
    check_transition(booking, Booking.Status.CONFIRMED)
    from_status = booking.status
    booking.status = Booking.Status.CONFIRMED
    booking.payment_verified_at = now
    booking.payment_verified_by = actor
    booking.save(
        update_fields=[
            "status",
            "payment_verified_at",
            "payment_verified_by",
            "updated_at",
        ]
    )
    if desk_method:
        # The audit trail stays in one language, whoever's screen asked.
        with override("en"):
            note = note or f"Paid at the desk: {DeskPayment(desk_method).label}."
    record_event(
        booking,
        kind=BookingEvent.Kind.PAYMENT_VERIFIED,
        from_status=from_status,
        actor=actor,
        source=source,
        note=note,
        data={"method": desk_method} if desk_method else None,
        now=now,
    )
