"""What the fault matrix checks after each scenario: the database against what
clients were told, and the verdict on the scenario.

A scenario that committed no booking, or in which more than
harness.MAX_4XX_SHARE of the requests were 4xx, measured nothing: it misses
its targets whatever its zeros of doubles say. Only the 4xx kinds in
EXPLAINED_4XX are left out of that share, in the scenarios named there.
"""

from collections import Counter

from harness import creates_check
from load import RETRIED_CONFLICT

ACTIVE = ("awaiting_payment", "confirmed", "completed")
# Each must be 0 after every scenario.
CHECKS = (
    "double_bookings",
    "is_booked_mismatches",
    "untold_bookings",
    "told_but_missing",
    "duplicates_per_key",
)
# Said in the report too, as the reason these 4xx are left out of the share.
EXPLAINED_4XX_REASON = (
    "These faults cut clients off from requests that may still be running (a "
    "worker killed, or finishing its requests while the master reloads or "
    "stops), so a retry can meet the first attempt's `Idempotency-Key` lock; "
    "[docs/api.md](api.md) tells the client to retry that 409, and the clients "
    "do. Every other 4xx counts everywhere: a 429 cannot be explained by any "
    "fault, as the run lifts the throttle. 503s are 5xx: retried, and not in "
    "the share."
)
EXPLAINED_4XX = {
    "kill_9_workers": frozenset({RETRIED_CONFLICT}),
    "hup": frozenset({RETRIED_CONFLICT}),
    "term_and_restart": frozenset({RETRIED_CONFLICT}),
    # scripts/cluster/faults.py: a whole app host killed behind HAProxy.
    "kill_9_app_host": frozenset({RETRIED_CONFLICT}),
}


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


def verdict(name, result):
    """The committed booking rate, the 4xx share and the targets `name` missed.

    Read from the scenario's own figures only, so it can be judged again from
    the results file.
    """
    kinds = Counter(result["errors"])
    kinds["201"] = result["requests"] - kinds.total()
    explained = EXPLAINED_4XX.get(name, frozenset())
    creates = creates_check(
        kinds,
        committed=result["bookings_committed"],
        seconds=result["seconds"],
        expected=explained,
    )
    missed = creates["failures"] + [
        f"{check.replace('_', ' ')}: {result[check]}"
        for check in CHECKS
        if result[check]
    ]
    if result["status_500"]:
        missed.append(f"{result['status_500']} x 500")
    if result["gave_up"]:
        missed.append(f"{result['gave_up']} submissions given up")
    if "overdue_bookings" in result:
        missed += _expiry_missed(result)
    return {
        "committed_per_second": creates["committed_per_second"],
        "share_4xx": creates["share_4xx"],
        "explained_4xx": sorted(explained),
        "targets_missed": missed,
    }


def _expiry_missed(result):
    overdue, counts = result["overdue_bookings"], result["expiry_counts"]
    missed = []
    # A job that failed left its stderr where its count would be.
    if not all(isinstance(count, int) for count in counts) or sum(counts) != overdue:
        missed.append(f"the two jobs expired {counts}, not {overdue} in all")
    if result["still_unpaid_after"]:
        missed.append(f"{result['still_unpaid_after']} overdue bookings left unpaid")
    if result["timeout_events"] != overdue:
        missed.append(f"{result['timeout_events']} timeout events for {overdue}")
    if result["max_events_per_booking"] > 1:
        missed.append(f"up to {result['max_events_per_booking']} events a booking")
    return missed
