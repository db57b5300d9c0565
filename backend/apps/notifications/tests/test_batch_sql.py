"""An expiry batch's emails written in SQL (PostgreSQL) hold what the Python
path writes for the same bookings, field for field (notifications.batch_sql)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings.models import Booking, BookingEvent, email_key
from apps.bookings.selectors import events_load_bookings
from apps.bookings.services.expiry import PAYMENT_TIMEOUT_REASON
from apps.bookings.tests.factories import BookingFactory
from apps.notifications import batch_sql, outbox, receivers
from apps.notifications.models import Notification
from apps.services.tests.factories import ServiceFactory
from apps.staff.tests.factories import StaffFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite keeps the Python path"
    ),
]

# The batch's moment, with microseconds (isoformat writes them).
NOW = datetime(2026, 3, 29, 0, 59, 59, 123456, tzinfo=UTC)


def _slot(staff, start, minutes=30):
    return AvailabilityFactory(
        staff=staff, start_time=start, end_time=start + timedelta(minutes=minutes)
    )


def _varied_bookings():
    """Bookings that differ in everything the snapshot reads."""
    staff = StaffFactory(name='Zé "Quotes" O\'Brien')
    other_staff = StaffFactory(name="Ana")
    service = ServiceFactory(name="Corte & barba — ção")
    utc = UTC
    starts = [
        # Either side of Lisbon's (and the EU's) spring and autumn changes.
        datetime(2026, 3, 29, 0, 30, tzinfo=utc),
        datetime(2026, 3, 29, 1, 0, tzinfo=utc),
        datetime(2026, 10, 25, 0, 30, 0, 500, tzinfo=utc),
        datetime(2026, 10, 25, 1, 30, tzinfo=utc),
        datetime(2027, 1, 4, 9, 0, tzinfo=utc),
        datetime(2027, 7, 4, 23, 45, 1, 999999, tzinfo=utc),
    ]
    cases = [
        {"locale": "pt-pt", "notes": "porta 3"},
        {"locale": "en", "customer_phone": ""},
        {"locale": "", "amount_due": Decimal("0.00")},
        # Multi-slot: ends at its last slot, not its first.
        {"ends_offset": timedelta(minutes=90), "amount_due": Decimal("1234567.89")},
        {"staff": other_staff, "amount_due": Decimal("12.50")},
        # A slot deleted since: no start, the stored end still read.
        {"no_slot": True},
    ]
    bookings, slot_gone = [], []
    for start, case in zip(starts, cases, strict=True):
        slot_staff = case.pop("staff", staff)
        slot = _slot(slot_staff, start)
        ends_offset = case.pop("ends_offset", None)
        no_slot = case.pop("no_slot", False)
        booking = BookingFactory(
            service=service,
            availability=slot,
            staff=slot_staff,
            ends_at=start + (ends_offset or timedelta(minutes=30)),
            customer_name='Joana d\'Arc \\ "x" ção',
            payment_expires_at=datetime(2026, 3, 29, 0, 59, 0, 7, tzinfo=utc),
            **case,
        )
        if no_slot:
            slot_gone.append(booking.pk)
        bookings.append(booking)
    # A booking whose address the desk never took: no email either way.
    bookings.append(BookingFactory(service=service, customer_email=""))
    # One rescheduled and re-invited before (a sequence on record): the
    # expiry's email still carries no invite, on either path.
    rescheduled = BookingFactory(service=service, locale="en")
    Notification.objects.create(
        kind=Notification.Kind.BOOKING_RESCHEDULED,
        booking=rescheduled,
        recipient=rescheduled.customer_email,
        ics_sequence=2,
    )
    bookings.append(rescheduled)
    for booking in bookings:
        Booking.objects.filter(pk=booking.pk).update(
            customer_email_key=email_key(booking.customer_email),
            status=Booking.Status.CANCELLED,
            cancel_reason=PAYMENT_TIMEOUT_REASON,
        )
    # Only a cancelled booking may lose its slot (a check constraint).
    Booking.objects.filter(pk__in=slot_gone).update(availability=None)
    return bookings


def _events(bookings):
    return [
        BookingEvent(
            booking_id=booking.pk,
            kind=BookingEvent.Kind.EXPIRED,
            source=BookingEvent.Source.SYSTEM,
            created_at=NOW,
        )
        for booking in bookings
    ]


def _stored_and_cleared():
    # Every column but the key (model_to_dict would leave out the
    # non-editable snapshot and recipient_key).
    fields = [
        field.attname
        for field in Notification._meta.concrete_fields
        if not field.primary_key
    ]
    cancellations = Notification.objects.filter(
        kind=Notification.Kind.BOOKING_CANCELLED
    )
    rows = {
        notification.booking_id: {name: getattr(notification, name) for name in fields}
        for notification in cancellations
    }
    cancellations.delete()
    return rows


def _python_rows(bookings):
    events = _events(bookings)
    events_load_bookings(events)
    outbox.queue(
        [
            email
            for event in events
            for email in receivers._expired(event, notify_guest=True)
        ]
    )
    return _stored_and_cleared()


def test_sql_snapshots_equal_the_python_snapshots_field_by_field():
    bookings = _varied_bookings()
    ids = [booking.pk for booking in bookings]

    assert batch_sql.cancellations_insert(ids, cancelled_by="system", now=NOW) == []
    in_sql = _stored_and_cleared()
    in_python = _python_rows(bookings)

    # Every booking with an address has its one email; the one without none.
    assert sorted(in_sql) == sorted(in_python) == sorted(ids[:6] + ids[7:])
    for booking_id, expected in in_python.items():
        assert in_sql[booking_id] == expected, booking_id
    # The cases above are the ones meant: times with and without microseconds,
    # both languages and the default, a slot gone, the guests' emails only.
    snapshots = [in_sql[pk]["snapshot"] for pk in ids[:6]]
    assert snapshots[2]["booking"]["start"] == "2026-10-25T00:30:00.000500+00:00"
    assert snapshots[0]["booking"]["pay_by"] == "2026-03-29T00:59:00.000007+00:00"
    assert {snapshot["locale"] for snapshot in snapshots} == {"pt-pt", "en"}
    assert snapshots[5]["booking"]["start"] is None
    assert snapshots[3]["booking"]["end"] == "2026-10-25T03:00:00+00:00"
    assert in_sql[ids[7]]["ics_sequence"] is None
    assert in_sql[ids[7]]["snapshot"]["invite"] is None


def test_a_booking_without_a_stored_mailbox_key_is_left_to_python():
    """The key is Python's (`email_key`); a booking written without one is
    handed back, and the receiver's Python path writes its email."""
    booking, keyed = BookingFactory(), BookingFactory()
    Booking.objects.filter(pk=keyed.pk).update(
        customer_email_key=email_key(keyed.customer_email)
    )
    assert batch_sql.cancellations_insert(
        [booking.pk, keyed.pk], cancelled_by="system", now=NOW
    ) == [booking.pk]
    assert set(_stored_and_cleared()) == {keyed.pk}

    receivers.queue_booking_emails(
        sender=BookingEvent, events=_events([booking, keyed]), notify_guest=True
    )
    rows = _stored_and_cleared()
    assert set(rows) == {booking.pk, keyed.pk}
    assert rows[booking.pk]["recipient_key"] == email_key(booking.customer_email)
