"""The booking row, its audit trail, stored idempotent answers and access links."""

import hashlib

from django.db.models import Case, Q, Value, When

from apps.bookings.models import (
    Booking,
    BookingAccessLink,
    BookingEvent,
    IdempotencyKey,
)
from apps.privacy.contacts import ERASED_EMAIL, MARKER, scrub_json, scrub_text
from apps.privacy.registry import Shredder, Target

# The keys of a booking's JSON (API answers) that hold what the guest typed.
CONTACT_KEYS = frozenset(
    {
        "customer_name",
        "customer_email",
        "customer_phone",
        "customer_phone_international",
        "notes",
        "cancel_reason",
        "note",
    }
)
# Audit notes people typed (a guest's or staff's reason); the system's and the
# bank's are fixed texts with ids, kept.
TYPED_NOTE_SOURCES = (BookingEvent.Source.GUEST, BookingEvent.Source.STAFF)


def _marked(field: str):
    """The marker where the field held text, empty where it was empty."""
    return Case(When(**{field: ""}, then=Value("")), default=Value(MARKER))


def _time(moment):
    return moment.isoformat() if moment else None


class BookingShredder(Shredder):
    name = "bookings"
    verbose_name = "Bookings: the guest's name, email, phone, notes, client hashes"
    fields = (
        "bookings.Booking.customer_name",
        "bookings.Booking.customer_email",
        "bookings.Booking.customer_phone",
        "bookings.Booking.customer_phone_digits",
        "bookings.Booking.customer_email_key",
        "bookings.Booking.client_key",
        "bookings.Booking.client_site_key",
        "bookings.Booking.client_network_key",
        "bookings.Booking.notes",
        "bookings.Booking.cancel_reason",
    )
    last = True

    def export(self, target: Target) -> list[dict]:
        return [
            {
                "reference": booking.reference,
                "status": booking.status,
                "service": booking.service.name,
                "staff": booking.staff.name,
                "start_time": _time(
                    booking.availability.start_time if booking.availability else None
                ),
                "ends_at": _time(booking.ends_at),
                "amount_due": str(booking.amount_due),
                "customer_name": booking.customer_name,
                "customer_email": booking.customer_email,
                "customer_phone": booking.customer_phone,
                "notes": booking.notes,
                "cancel_reason": booking.cancel_reason,
                "created_at": _time(booking.created_at),
                "payment_verified_at": _time(booking.payment_verified_at),
            }
            for booking in target.bookings
        ]

    def shred(self, target: Target, *, now) -> int:
        # One statement; `updated_at` keeps the time of the last real change
        # (an update() does not touch auto_now), so retention reads it alone.
        return Booking.objects.filter(pk__in=target.booking_ids).update(
            customer_name=MARKER,
            customer_email=ERASED_EMAIL,
            customer_phone=MARKER,
            customer_phone_digits="",
            customer_email_key="",
            client_key="",
            client_site_key="",
            client_network_key="",
            notes=_marked("notes"),
            cancel_reason=_marked("cancel_reason"),
        )


class BookingEventShredder(Shredder):
    name = "booking_events"
    verbose_name = "Audit trail: typed notes (the transitions stay)"
    fields = ("bookings.BookingEvent.note", "bookings.BookingEvent.data")

    def export(self, target: Target) -> list[dict]:
        events = BookingEvent.objects.filter(booking_id__in=target.booking_ids)
        return [
            {
                "reference": event.booking.reference,
                "kind": event.kind,
                "from_status": event.from_status,
                "to_status": event.to_status,
                "source": event.source,
                "note": event.note,
                "data": event.data,
                "created_at": _time(event.created_at),
            }
            for event in events.select_related("booking").order_by("created_at", "pk")
        ]

    def shred(self, target: Target, *, now) -> int:
        changed = []
        events = BookingEvent.objects.filter(booking_id__in=target.booking_ids).filter(
            ~Q(note="") | ~Q(data={})
        )
        for event in events.only("pk", "booking_id", "note", "data", "source"):
            needles = target.needles_of(event.booking_id)
            note = (
                MARKER
                if event.note and event.source in TYPED_NOTE_SOURCES
                else scrub_text(event.note, needles)
            )
            data = scrub_json(event.data, needles)
            if note != event.note or data != event.data:
                event.note, event.data = note, data
                changed.append(event)
        BookingEvent.objects.bulk_update(changed, ["note", "data"], batch_size=500)
        return len(changed)


class IdempotencyShredder(Shredder):
    name = "idempotency_keys"
    verbose_name = "Stored answers to retried booking requests"
    fields = ("bookings.IdempotencyKey.response_body", "bookings.IdempotencyKey.key")

    def export(self, target: Target) -> list[dict]:
        return []  # a copy of the booking, shown under bookings

    def shred(self, target: Target, *, now) -> int:
        changed = []
        rows = IdempotencyKey.objects.filter(booking_id__in=target.booking_ids)
        for row in rows.only("pk", "booking_id", "key", "response_body"):
            needles = target.needles_of(row.booking_id)
            body = scrub_json(row.response_body, needles, keys=CONTACT_KEYS)
            # The key is the client's choice; one made from the guest's
            # address is kept as a hash (a retry of it no longer replays).
            key = row.key
            if scrub_text(key, needles) != key:
                key = "erased:" + hashlib.sha256(key.encode()).hexdigest()
            if (body, key) != (row.response_body, row.key):
                row.response_body, row.key = body, key
                changed.append(row)
        IdempotencyKey.objects.bulk_update(
            changed, ["response_body", "key"], batch_size=500
        )
        return len(changed)


class AccessLinkShredder(Shredder):
    """The emailed links to manage a booking: no personal text, but a link to
    an anonymised booking has nothing left to open."""

    name = "access_links"
    verbose_name = "Links emailed to manage a booking"

    def export(self, target: Target) -> list[dict]:
        return []

    def shred(self, target: Target, *, now) -> int:
        deleted, _ = BookingAccessLink.objects.filter(
            booking_id__in=target.booking_ids
        ).delete()
        return deleted
