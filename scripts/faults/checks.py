"""What the fault matrix checks after each scenario: the database against what
clients were told."""

ACTIVE = ("awaiting_payment", "confirmed", "completed")


def database_checks(db, service_id, told):
    """The scenario's bookings in the database against what clients were told."""
    with db.connect() as conn:
        double = conn.execute(
            "SELECT count(*) FROM (SELECT availability_id FROM bookings_booking"
            " WHERE status = ANY(%s) GROUP BY availability_id HAVING count(*) > 1) d",
            [list(ACTIVE)],
        ).fetchone()[0]
        mismatched = conn.execute(
            "SELECT count(*) FROM availability_availability a WHERE a.is_booked <>"
            " EXISTS (SELECT 1 FROM bookings_booking b WHERE b.availability_id = a.id"
            " AND b.status = ANY(%s))",
            [list(ACTIVE)],
        ).fetchone()[0]
        committed = {
            row[0]
            for row in conn.execute(
                "SELECT id FROM bookings_booking WHERE service_id = %s", [service_id]
            )
        }
        duplicates = conn.execute(
            "SELECT count(*) FROM (SELECT customer_email FROM bookings_booking"
            " WHERE service_id = %s GROUP BY customer_email HAVING count(*) > 1) d",
            [service_id],
        ).fetchone()[0]
        keys_to_other_bookings = conn.execute(
            "SELECT count(*) FROM bookings_idempotencykey k JOIN bookings_booking b"
            " ON b.id = k.booking_id WHERE b.service_id = %s AND k.key <> ALL(%s)",
            [service_id, list(told)],
        ).fetchone()[0]
    told_ids = set(told.values())
    return {
        "bookings_committed": len(committed),
        "double_bookings": double,
        "is_booked_mismatches": mismatched,
        "untold_bookings": len(committed - told_ids),
        "told_but_missing": len(told_ids - committed),
        "duplicates_per_key": duplicates,
        "keys_untold": keys_to_other_bookings,
    }


def expiry_checks(db, service_id, overdue):
    """How the two expiry jobs left the `overdue` bookings of `service_id`."""
    with db.connect() as conn:
        still_unpaid, expired_events, events_per_booking = conn.execute(
            "SELECT count(*) FILTER (WHERE b.status = 'awaiting_payment'),"
            " (SELECT count(*) FROM bookings_bookingevent e JOIN bookings_booking"
            "  x ON x.id = e.booking_id WHERE x.service_id = %s"
            "  AND e.note = 'payment timeout'),"
            " (SELECT coalesce(max(n), 0) FROM (SELECT count(*) n FROM"
            "  bookings_bookingevent e JOIN bookings_booking x ON x.id ="
            "  e.booking_id WHERE x.service_id = %s GROUP BY e.booking_id) c)"
            " FROM bookings_booking b WHERE b.service_id = %s",
            [service_id, service_id, service_id],
        ).fetchone()
    return {
        "overdue_bookings": overdue,
        "still_unpaid_after": still_unpaid,
        "timeout_events": expired_events,
        "max_events_per_booking": events_per_booking,
    }
