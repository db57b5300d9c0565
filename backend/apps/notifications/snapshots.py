"""What an email must say, frozen in the transaction that queues it.

A booking change writes its email's row with a snapshot: plain JSON of what
was true then (reference, names, slot, amount, deadline, instructions, links,
the calendar invite's method and sequence, the guest's language), and no
rendering. The sender renders it once, at its first attempt, in the guest's
language and the business's timezone, and stores the text on the row, so a
retry sends the very same message and the request or expiry batch that
queued it pays no template. Everything a template reads comes from here, so
a later edit of the booking does not change what the guest was told.
"""

from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace

from django.conf import settings
from django.utils import translation
from django.utils.dateparse import parse_datetime

from apps.bookings.models import Booking
from apps.bookings.payment_instructions import payment_instructions_text
from apps.notifications.models import Notification

Kind = Notification.Kind
# Kinds whose template tells how to pay (the business's account and words).
_KINDS_WITH_INSTRUCTIONS = frozenset({Kind.BOOKING_CREATED})
# Kinds that show staff the guest's phone; guests' emails never carry it.
_KINDS_WITH_PHONE = frozenset({Kind.NEW_BOOKING_STAFF})
# A moment in `extra` (a link's expiry): written by the sender as the guest
# reads times, in their language and the business's zone.
_MOMENT = "$moment"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _encode(value):
    if isinstance(value, datetime):
        return {_MOMENT: value.isoformat()}
    if isinstance(value, list | tuple):
        # A reschedule offer's (start, staff name) pairs: the moments as ISO
        # text, written in the guest's language by the renderer.
        return [
            [item.isoformat() if isinstance(item, datetime) else item for item in v]
            if isinstance(v, list | tuple)
            else v
            for v in value
        ]
    return value


def booking_snapshot(
    kind: str,
    booking: Booking,
    *,
    invite: dict | None = None,
    locale: str | None = None,
    **extra,
) -> dict:
    """The snapshot of an email `kind` about `booking`, in `locale` (the
    booking's unless given: the business's own for its staff); `extra` are
    the kind's own words (a link, who cancelled), JSON values or datetimes."""
    slot = booking.availability
    ends_at = booking.ends_at or (slot.end_time if slot else None)
    locale = locale or booking.locale or settings.LANGUAGE_CODE
    instructions = ""
    if kind in _KINDS_WITH_INSTRUCTIONS:
        # The business's words in the reader's language (texts per language);
        # only switched to when read: an expiry batch writes a thousand
        # snapshots without instructions.
        with translation.override(locale):
            instructions = payment_instructions_text()
    return {
        "locale": locale,
        "booking": {
            "reference": booking.reference,
            "status": booking.status,
            "customer_name": booking.customer_name,
            "customer_email": booking.customer_email,
            "customer_phone_international": (
                booking.customer_phone_international
                if kind in _KINDS_WITH_PHONE
                else ""
            ),
            # Only whether there is one: a note a guest typed is never sent.
            "has_notes": bool(booking.notes),
            "cancel_reason": booking.cancel_reason,
            "amount_due": str(booking.amount_due),
            "service": booking.service.name,
            "staff": booking.staff.name,
            "start": _iso(slot.start_time if slot else None),
            "end": _iso(ends_at),
            "pay_by": _iso(booking.payment_expires_at),
        },
        "currency": settings.BOOKING_CURRENCY,
        "instructions": instructions,
        "extra": {name: _encode(value) for name, value in extra.items()},
        "invite": invite,
    }


def _moment(text: str | None) -> datetime | None:
    return parse_datetime(text) if text else None


def snapshot_booking(snapshot: dict) -> SimpleNamespace:
    """The booking as the templates and the invite read it (`booking.service.name`,
    `booking.availability.start_time`, ...), from the snapshot alone."""
    data = snapshot["booking"]
    start, end = _moment(data["start"]), _moment(data["end"])
    return SimpleNamespace(
        reference=data["reference"],
        status=data["status"],
        customer_name=data["customer_name"],
        customer_email=data["customer_email"],
        customer_phone_international=data["customer_phone_international"],
        # The templates ask only whether there is a note.
        notes="yes" if data["has_notes"] else "",
        cancel_reason=data["cancel_reason"],
        amount_due=Decimal(data["amount_due"]),
        service=SimpleNamespace(name=data["service"]),
        staff=SimpleNamespace(name=data["staff"]),
        availability=(
            SimpleNamespace(start_time=start, end_time=end) if start else None
        ),
        ends_at=end,
        payment_expires_at=_moment(data["pay_by"]),
    )


def snapshot_extra(snapshot: dict, *, moment_text) -> dict:
    """The kind's own words, moments written with `moment_text`."""
    return {
        name: (
            moment_text(_moment(value[_MOMENT]))
            if isinstance(value, dict) and _MOMENT in value
            else value
        )
        for name, value in snapshot["extra"].items()
    }
