"""What a webhook says: the `{type, timestamp, data}` envelope and its data.

`data` carries ids, the reference, statuses, times, the service and staff
member, and the amount; the guest's name, email and phone only for an
endpoint that opted in (`include_contact`). Times are ISO 8601 with the
business timezone's offset, like the API's. The body is serialised once,
when queued, and sent byte for byte on every attempt.
"""

import json
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from apps.bookings.models import Booking, BookingEvent
from apps.payments.models import BankTransaction

Source = BookingEvent.Source

# What the receiver is told confirmed a booking's payment.
PAYMENT_SOURCES = {Source.STAFF: "staff", Source.BANK: "bank_import"}
REDACTED = "[erased]"


def _time(moment: datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat() if moment else None


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def guest_contact(booking: Booking) -> dict:
    return {
        "name": booking.customer_name,
        "email": booking.customer_email,
        "phone": booking.customer_phone,
    }


def booking_data(event: BookingEvent, *, include_contact: bool) -> dict:
    """The `data` of a booking event (its booking, loaded with relations)."""
    booking = event.booking
    slot = booking.availability
    data = {
        "booking_id": booking.pk,
        "reference": booking.reference,
        "status": booking.status,
        "previous_status": event.from_status or None,
        "source": event.source,
        "created_at": _time(booking.created_at),
        "start_time": _time(slot.start_time if slot else None),
        # The end of the last slot it takes (a service longer than a slot
        # takes several).
        "end_time": _time(booking.ends_at or (slot.end_time if slot else None)),
        "payment_expires_at": _time(booking.payment_expires_at),
        "amount_due": _money(booking.amount_due),
        "currency": settings.BOOKING_CURRENCY,
        "service": {"id": booking.service_id, "name": booking.service.name},
        "staff": {"id": booking.staff_id, "name": booking.staff.name},
    }
    if event.kind == BookingEvent.Kind.PAYMENT_VERIFIED:
        data["payment"] = {
            "source": PAYMENT_SOURCES.get(event.source, event.source),
            "verified_at": _time(booking.payment_verified_at),
        }
    if event.kind == BookingEvent.Kind.RESCHEDULED:
        data["previous"] = {
            "availability_id": event.data.get("from_availability"),
            "start_time": event.data.get("from_start_time"),
        }
    if include_contact:
        data["guest"] = guest_contact(booking)
    return data


def unmatched_payment_data(
    transaction: BankTransaction, *, include_contact: bool
) -> dict:
    """The `data` of `payment.unmatched`: a bank credit no booking matched."""
    suggested = transaction.suggested_booking
    data = {
        "bank_transaction_id": transaction.pk,
        "bank_reference": transaction.bank_transaction_id,
        "booking_date": transaction.booking_date.isoformat(),
        "amount": _money(transaction.amount),
        "currency": transaction.currency,
        "outcome": transaction.outcome,
        "suggested_booking": suggested.reference if suggested else None,
    }
    if include_contact:
        data["payer"] = {
            "name": transaction.counterparty_name,
            "account": transaction.counterparty_account,
            "remittance": transaction.remittance,
        }
    return data


def ping_data(*, now: datetime) -> dict:
    return {"message": "A test event from Doceamor Booking.", "sent_at": _time(now)}


def envelope(event_type: str, *, timestamp: datetime, data: dict) -> str:
    """The body as sent: compact JSON, the same bytes on every attempt."""
    return json.dumps(
        {"type": event_type, "timestamp": _time(timestamp), "data": data},
        separators=(",", ":"),
        ensure_ascii=False,
    )


def redact_body(body: str) -> str:
    """The body without personal data: `guest` and `payer` values erased."""
    message = json.loads(body)
    data = message.get("data", {})
    for key in ("guest", "payer"):
        if isinstance(data.get(key), dict):
            data[key] = dict.fromkeys(data[key], REDACTED)
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)
