"""The outbox's many-row insert (common.bulk: one JSON document on
PostgreSQL) stores exactly what Django's bulk_create stores."""

from datetime import UTC, datetime

import pytest

from apps.notifications.models import Notification
from common.bulk import bulk_insert, insert_row

pytestmark = pytest.mark.django_db


def _rows(tag):
    moment = datetime(2026, 12, 7, 21, 3, 0, 288570, tzinfo=UTC)
    return [
        Notification(
            kind=Notification.Kind.BOOKING_CANCELLED,
            recipient=f"{tag}-{index}@example.com",
            guest_triggered=index % 2 == 0,
            recipient_key=f"key-{index}" if index % 2 == 0 else "",
            subject='A "quoted" \\ subject, {braces}, ção',
            body_text="line one\nline two\ttab",
            snapshot=(
                None
                if index == 1
                else {"extra": {"who": "O'Brien"}, "n": [1, None, "x"], "b": True}
            ),
            ics_sequence=None if index else 3,
            next_attempt_at=moment,
            created_at=moment.replace(microsecond=0),
        )
        for index in range(4)
    ]


def _stored(notifications):
    fields = [
        field.name
        for field in Notification._meta.concrete_fields
        if field.name not in ("id", "recipient")
    ]
    # Every column (model_to_dict would leave out the non-editable ones,
    # the snapshot and the recipient key among them).
    return [
        Notification.objects.filter(pk=n.pk).values(*fields).get()
        for n in notifications
    ]


def test_bulk_insert_stores_what_bulk_create_stores_and_sets_keys_in_order():
    inserted = bulk_insert(_rows("bulk"))
    created = Notification.objects.bulk_create(_rows("orm"))

    assert [n.pk for n in inserted] == sorted(n.pk for n in inserted)
    assert all(not n._state.adding for n in inserted)
    assert [Notification.objects.get(pk=n.pk).recipient for n in inserted] == [
        f"bulk-{index}@example.com" for index in range(4)
    ]
    assert _stored(inserted) == _stored(created)
    # A JSON null is no JSON value but SQL NULL, as bulk_create writes it.
    assert Notification.objects.filter(snapshot__isnull=True).count() == 2


def test_bulk_insert_of_nothing_writes_nothing():
    assert bulk_insert([]) == []
    assert not Notification.objects.exists()


def test_insert_row_stores_what_save_stores():
    """common.bulk.insert_row, the one-row insert of the booking path: the
    same row as `save(force_insert=True)`, with its key set and auto_now
    fields filled, for values that need quoting and JSON."""
    from apps.notifications.models import Notification as Row

    inserted = insert_row(_rows("one")[0])
    saved = _rows("orm")[0]
    saved.save(force_insert=True)

    assert inserted.pk and inserted.pk != saved.pk
    assert not inserted._state.adding and inserted._state.db == "default"
    assert Row.objects.get(pk=inserted.pk).recipient == "one-0@example.com"
    assert _stored([inserted]) == _stored([saved])
    # JSON null is SQL NULL here too.
    nulled = _rows("null")[1]
    insert_row(nulled)
    assert Row.objects.filter(pk=nulled.pk, snapshot__isnull=True).exists()


def test_insert_row_fills_auto_now_and_leaves_expressions_to_the_orm():
    from django.db.models import Value
    from django.db.models.functions import Concat

    from apps.bookings.models import Booking, IdempotencyKey
    from apps.bookings.tests.factories import BookingFactory

    booking = BookingFactory.build()
    for related in ("service", "staff", "availability"):
        getattr(booking, related).save()
    booking.availability_id = booking.availability.pk
    booking.service_id, booking.staff_id = booking.service.pk, booking.staff.pk
    booking.updated_at = None
    insert_row(booking)
    assert Booking.objects.get(pk=booking.pk).updated_at == booking.updated_at
    assert booking.updated_at is not None  # auto_now, as save() sets it

    row = insert_row(
        IdempotencyKey(
            key="k-1",
            client_fingerprint="c",
            request_fingerprint="r",
            response_status=201,
            response_body={"a": "ção", "n": [1, None]},
        )
    )
    stored = IdempotencyKey.objects.get(pk=row.pk)
    assert stored.response_body == {"a": "ção", "n": [1, None]}
    assert stored.created_at is not None  # the model's default, as save() sets it
    # An expression as a value: the ORM computes it, as save() would.
    expressed = insert_row(
        IdempotencyKey(
            key=Concat(Value("k-"), Value("2")),
            client_fingerprint="c",
            request_fingerprint="r",
            response_status=201,
            response_body={},
        )
    )
    assert IdempotencyKey.objects.get(pk=expressed.pk).key == "k-2"
