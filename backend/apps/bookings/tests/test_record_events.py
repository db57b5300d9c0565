"""record_events_alike: an expiry batch's events, made by the database from
the ids, are the rows and the objects record_events makes and announces."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.bookings.models import BookingEvent
from apps.bookings.services.events import record_events, record_events_alike
from apps.bookings.signals import booking_events_recorded
from apps.bookings.tests.factories import BookingFactory

pytestmark = pytest.mark.django_db

FIELDS = {
    "kind": BookingEvent.Kind.EXPIRED,
    "from_status": "awaiting_payment",
    "to_status": "cancelled",
    "source": BookingEvent.Source.SYSTEM,
    "note": "payment timeout",
    "created_at": datetime(2026, 10, 25, 1, 30, 0, 250, tzinfo=UTC),
}


def _columns(event):
    return {
        field.attname: getattr(event, field.attname)
        for field in BookingEvent._meta.concrete_fields
        if field.attname != "id"
    }


@pytest.fixture
def announced():
    heard = []

    def listen(sender, *, events, notify_guest, **kwargs):
        heard.append((events, notify_guest))

    booking_events_recorded.connect(listen, dispatch_uid="test.record_events")
    yield heard
    booking_events_recorded.disconnect(dispatch_uid="test.record_events")


@pytest.mark.parametrize("count", [1, 3])
def test_alike_events_equal_record_events(announced, count):
    # Out of key order: the events come back in the order of the ids given.
    ids = [booking.pk for booking in BookingFactory.create_batch(count)][::-1]

    alike = record_events_alike(ids, notify_guest=False, **FIELDS)
    one_by_one = record_events(
        [BookingEvent(booking_id=pk, **FIELDS) for pk in ids], notify_guest=False
    )

    assert [event.booking_id for event in alike] == ids
    assert all(event.pk and not event._state.adding for event in alike)
    assert [_columns(event) for event in alike] == [
        _columns(event) for event in one_by_one
    ]
    stored = {
        event.pk: _columns(event)
        for event in BookingEvent.objects.filter(pk__in=[e.pk for e in alike])
    }
    assert [stored[event.pk] for event in alike] == [
        _columns(event) for event in one_by_one
    ]
    assert [events for events, _ in announced] == [alike, one_by_one]
    assert [notify for _, notify in announced] == [False, False]
    # Each event its own data: a listener changing one changes no other.
    alike[0].data["seen"] = True
    assert all(event.data == {} for event in alike[1:])


def test_alike_events_are_made_by_one_statement():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite writes them as record_events does")
    ids = [booking.pk for booking in BookingFactory.create_batch(3)]
    with CaptureQueriesContext(connection) as captured:
        record_events_alike(ids, notify_guest=False, **FIELDS)
    inserts = [q["sql"] for q in captured if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1
    assert "unnest" in inserts[0]
