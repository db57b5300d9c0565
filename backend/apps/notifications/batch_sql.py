"""An expiry batch's cancellation emails, written by PostgreSQL in one statement.

A batch of a thousand expired bookings otherwise loads a thousand bookings
(with service, staff and slot) and builds a thousand snapshots and
Notification rows in Python, which cost several times the expiry's own
statements. Here the database builds each row, snapshot included, from the
booking's own tables: `INSERT ... SELECT jsonb_build_object(...)`. It writes
what `snapshots.booking_snapshot` writes for the same booking (the receivers'
`_expired` email), field for field; a test holds the two equal.

SQLite keeps the Python path. So does a booking whose mailbox key was never
stored (`email_key` is Python's): it is handed back to the caller.
"""

from datetime import datetime

from django.conf import settings
from django.db import connection

from apps.availability.models import Availability
from apps.bookings.models import Booking
from apps.notifications.models import Notification
from apps.services.models import Service
from apps.staff.models import Staff
from common.lookups import id_array

# Columns each row fills from its booking; every other column takes the
# value an unsaved Notification of the kind holds (its defaults).
_PER_ROW = ("booking", "recipient", "recipient_key", "snapshot")


def _iso(column: str) -> str:
    """`datetime.isoformat()` of a UTC moment, as Django hands it back from
    PostgreSQL: seconds always, microseconds only when there are some."""
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (
        f"""to_char({utc}, 'YYYY-MM-DD"T"HH24:MI:SS')"""
        f" || CASE WHEN mod(date_part('microseconds', {utc})::bigint, 1000000) = 0"
        f" THEN '' ELSE to_char({utc}, '.US') END || '+00:00'"
    )


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _snapshot_sql() -> str:
    """The booking_snapshot of a guest's cancellation email, as one jsonb
    expression over `b` (booking), `s` (service), `st` (staff), `a` (slot)."""
    return f"""jsonb_build_object(
        'locale', COALESCE(NULLIF(b.locale, ''), %(language)s),
        'booking', jsonb_build_object(
            'reference', b.reference,
            'status', b.status,
            'customer_name', b.customer_name,
            'customer_email', b.customer_email,
            'customer_phone_international', '',
            'has_notes', b.notes <> '',
            'cancel_reason', b.cancel_reason,
            'amount_due', b.amount_due::text,
            'service', s.name,
            'staff', st.name,
            'start', {_iso("a.start_time")},
            'end', {_iso("COALESCE(b.ends_at, a.end_time)")},
            'pay_by', {_iso("b.payment_expires_at")}
        ),
        'currency', %(currency)s,
        'instructions', '',
        'extra', jsonb_build_object('cancelled_by', %(cancelled_by)s),
        'invite', NULL
    )"""


def cancellations_insert(
    booking_ids: list[int], *, cancelled_by: str, now: datetime
) -> list[int]:
    """Queue the guest's cancellation email (no invite: an unpaid booking
    never had one) for each of `booking_ids`, in the caller's transaction;
    return the ids left to the Python path. Bookings without an address get
    none, as `outbox.queue` drops them."""
    prototype = Notification(
        kind=Notification.Kind.BOOKING_CANCELLED,
        guest_triggered=True,
        next_attempt_at=now,
        created_at=now,
    )
    constants = [
        field
        for field in Notification._meta.concrete_fields
        if not field.primary_key and field.name not in _PER_ROW
    ]
    params = {
        "ids": id_array(booking_ids),
        "language": settings.LANGUAGE_CODE,
        "currency": settings.BOOKING_CURRENCY,
        "cancelled_by": cancelled_by,
    }
    values = []
    for index, field in enumerate(constants):
        params[f"c{index}"] = field.get_db_prep_save(
            getattr(prototype, field.attname), connection
        )
        values.append(f"CAST(%(c{index})s AS {field.cast_db_type(connection)})")
    quote = connection.ops.quote_name
    field = Notification._meta.get_field
    columns = ", ".join(
        quote(field(name).column) for name in (*_PER_ROW, *(f.name for f in constants))
    )
    sql = f"""
        WITH picked AS (
            SELECT b.id, b.customer_email, b.customer_email_key,
                {_snapshot_sql()} AS snapshot
            FROM {_table(Booking)} b
            JOIN {_table(Service)} s ON s.id = b.service_id
            JOIN {_table(Staff)} st ON st.id = b.staff_id
            LEFT JOIN {_table(Availability)} a ON a.id = b.availability_id
            WHERE b.id = ANY(%(ids)s::bigint[]) AND b.customer_email <> ''
        ), written AS (
            INSERT INTO {_table(Notification)} ({columns})
            SELECT id, customer_email, customer_email_key, snapshot, {", ".join(values)}
            FROM picked WHERE customer_email_key <> '' ORDER BY id
        )
        SELECT id FROM picked WHERE customer_email_key = ''"""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]
