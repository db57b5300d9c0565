"""The one place booking events are recorded, and announced to listeners."""

from datetime import datetime

from django.db import connection

from apps.bookings.models import Booking, BookingEvent
from apps.bookings.signals import booking_events_recorded
from common.bulk import bulk_insert, insert_row
from common.lookups import id_array


def _actor_or_none(actor):
    return actor if actor is not None and actor.is_authenticated else None


def record_event(
    booking: Booking,
    *,
    kind: str,
    from_status: str,
    actor,
    source: str,
    now: datetime,
    note: str = "",
    data: dict | None = None,
    notify_guest: bool = True,
) -> BookingEvent:
    """Write one audit event for a change of `booking` and announce it.

    Call inside the change's transaction, after the booking row is saved.
    """
    event = insert_row(
        BookingEvent(
            booking=booking,
            kind=kind,
            from_status=from_status,
            to_status=booking.status,
            actor=_actor_or_none(actor),
            source=source,
            note=note,
            data=data or {},
            created_at=now,
        )
    )
    booking_events_recorded.send(
        sender=BookingEvent, events=[event], notify_guest=notify_guest
    )
    return event


def record_events(
    events: list[BookingEvent], *, notify_guest: bool = True
) -> list[BookingEvent]:
    """Write many events in one insert (an expiry batch) and announce them once.

    The events' bookings are not loaded here: a listener that reads them
    loads them for the whole batch in one query
    (`selectors.events_load_bookings`), and one that needs less (the
    waiting list: when the freed slots start) asks for just that. So a batch
    whose guests are not told pays for no booking model. The rows go in as
    one JSON document (`bulk_insert`): bulk_create's per-value preparation
    and quoting cost more than the insert.
    """
    created = bulk_insert(events)
    booking_events_recorded.send(
        sender=BookingEvent, events=created, notify_guest=notify_guest
    )
    return created


def record_events_alike(
    booking_ids: list[int], *, notify_guest: bool = True, **fields
) -> list[BookingEvent]:
    """One event with the same `fields` (kind, statuses, source, note,
    created_at) for each of `booking_ids`, written and announced as
    `record_events` does: an expiry batch's thousand events.

    On PostgreSQL the rows are made by the database from the ids alone, and
    the events built from the keys it returns as a query builds loaded rows
    (`from_db`, positional): building each unsaved event by keyword and
    writing it out as JSON cost more than the insert.
    """
    if connection.vendor != "postgresql" or len(booking_ids) < 2:
        return record_events(
            [BookingEvent(booking_id=pk, **fields) for pk in booking_ids],
            notify_guest=notify_guest,
        )
    template = BookingEvent(**fields)
    meta = BookingEvent._meta
    columns = [f for f in meta.concrete_fields if f.attname not in ("id", "booking_id")]
    quote = connection.ops.quote_name
    values = [f"CAST(%s AS {field.cast_db_type(connection)})" for field in columns]
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({quote('booking_id')},"
        f" {', '.join(quote(field.column) for field in columns)})"
        f" SELECT booking_id, {', '.join(values)}"
        " FROM unnest(%s::bigint[]) WITH ORDINALITY AS rows (booking_id, position)"
        f" ORDER BY position RETURNING {quote('id')}, {quote('booking_id')}"
    )
    params = [
        field.get_db_prep_save(getattr(template, field.attname), connection)
        for field in columns
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, id_array(booking_ids)])
        keys = cursor.fetchall()
    names = [field.attname for field in meta.concrete_fields]
    shared = {field.attname: getattr(template, field.attname) for field in columns}
    created = []
    for pk, booking_id in keys:
        row = {**shared, "id": pk, "booking_id": booking_id}
        # Each its own dict: a listener may change one event's data.
        row["data"] = dict(shared["data"])
        created.append(
            BookingEvent.from_db(connection.alias, names, [row[n] for n in names])
        )
    booking_events_recorded.send(
        sender=BookingEvent, events=created, notify_guest=notify_guest
    )
    return created
