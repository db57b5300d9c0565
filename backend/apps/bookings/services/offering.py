"""The statement every booking of a slot starts with: lock the slots it would
take, read their staff member and the service, and (for a guest's booking)
take the advisory locks under which the unpaid-hold limits are counted.

It is one fixed SQL text per database and lock shape, built once: the ORM
compiled this statement (three subqueries and a join through the staff's
services) on every booking, which cost more CPU than anything else a booking
does. The rows come back as model instances, converted as the ORM would.

The per-service-day limit (BOOKING_MAX_UNPAID_PER_SERVICE_DAY) counts every
guest's holds of a service on one day, so it needs a lock that all those
bookings share. One exclusive lock would serialise every guest booking of a
busy day; instead a service-day has `service_day_tickets()` advisory locks
(tickets). A booking takes one ticket, so at most that many run their count
and insert at once, and each counts only committed holds: a count C is safe
to book on while C + tickets <= the limit, whatever the others in flight do.
A booking whose count finds the day nearer its limit than that is redone
whole (`NearDayLimit`), and the redo's statement takes every ticket, in
ascending order, so its count is exact. Deciding that from a count inside
the lock statement instead cost a scan of the day's holds on every booking
(the planner cannot see the day's bounds there); the redo costs one extra
transaction, and only for the last few holds of a day.
"""

import random
from collections.abc import Sequence
from contextvars import ContextVar
from functools import cache

from django.conf import settings
from django.db import connection

from apps.availability.models import Availability
from apps.bookings import exceptions
from apps.services.models import Service
from apps.staff.models import Staff
from common.db import ClashingInsert, redo_possible
from common.exceptions import LockTimeout
from common.rows import instance

_SERVICE_FIELDS = ("id", "name", "duration_minutes", "price", "is_active")
# Tickets per service-day: a quarter of the limit, so that the exact
# (all-tickets) path is only taken in the last quarter; at most 8.
_MAX_TICKETS = 8


# Set by NearDayLimit for the redo that follows it in this thread (or task):
# its statement takes every ticket.
_every_ticket_next = ContextVar("every_ticket_next", default=False)


class NearDayLimit(ClashingInsert):
    """The day turned out nearer its limit than the one-ticket lock allows:
    redo the booking, which then takes every ticket."""

    def __init__(self):
        _every_ticket_next.set(True)
        # Redone by common.db's run_write_transaction; should every attempt
        # clash, the guest is asked to retry (503) rather than given a 500.
        super().__init__(exhausted=LockTimeout())


def service_day_tickets() -> int:
    """How many bookings of one service-day may count their limit at once.

    SQLite serialises writers anyway (IMMEDIATE transactions): one.
    """
    if connection.vendor != "postgresql":
        return 1
    limit = settings.BOOKING_MAX_UNPAID_PER_SERVICE_DAY
    return max(1, min(_MAX_TICKETS, limit // 4))


def _draw_ticket(tickets: int) -> int:
    """Any ticket of the day's: bookings spread over them at random."""
    return random.randrange(tickets)


def _columns(model, alias: str) -> tuple:
    return tuple(field for field in model._meta.concrete_fields), ", ".join(
        f'{alias}."{field.column}"' for field in model._meta.concrete_fields
    )


_SLOT_FIELDS, _SLOT_COLUMNS = _columns(Availability, "a")
_STAFF_FIELDS, _STAFF_COLUMNS = _columns(Staff, "st")
_SERVICE_COLUMNS = ", ".join(f'sv."{name}"' for name in _SERVICE_FIELDS)
_SLOTS = Availability._meta.db_table

# The start of the chosen slot plus the service's duration, per database.
_SERVICE_END = {
    "postgresql": "{start} + sv.duration_minutes * interval '1 minute'",
    # Django's own SQLite function for datetime arithmetic (microseconds).
    "sqlite": "django_format_dtdelta('+', {start},"
    " django_format_dtdelta('*', sv.duration_minutes, 60000000))",
}

_CHOSEN = f"(SELECT {{column}} FROM {_SLOTS} WHERE id = %(slot)s)"
_CHOSEN_DAY = f"({_CHOSEN.format(column='start_time')} AT TIME ZONE %(zone)s)::date"

# The service-day's tickets, taken in one subquery that PostgreSQL runs once
# (it depends on no row): every ticket in ascending order when this is the
# redo of a booking that found the day near its cap, else the one drawn for
# this booking. True when it took them all (the count under them is exact).
_DAY_TICKETS = f"""(SELECT CASE
   WHEN %(every_ticket)s
   THEN (SELECT COUNT(pg_advisory_xact_lock(hashtext(d.key || n)))
         FROM generate_series(0, %(tickets)s - 1) AS n) > 0
   ELSE (SELECT COUNT(pg_advisory_xact_lock(hashtext(d.key || t)))
         FROM (SELECT %(ticket)s AS t) AS drawn) = 0
   END
 FROM (SELECT 'booking-day:' || %(service)s || ':' || {_CHOSEN_DAY} || ':' AS key) d)"""


# One ticket: the day's one lock, under which the count is exact.
_DAY_LOCK = f"""(SELECT COUNT(pg_advisory_xact_lock(hashtext(
    'booking-day:' || %(service)s || ':' || {_CHOSEN_DAY} || ':0'))) > 0)"""


@cache
def _statement(vendor: str, client_locks: int, tickets: int) -> str:
    """The lock statement for a database, a number of client locks (the
    client and its networks; none for staff and offers, which take no
    advisory lock and count no limit) and of tickets."""
    postgresql = vendor == "postgresql"
    locked = postgresql and client_locks > 0
    day_locks = _DAY_TICKETS if tickets > 1 else _DAY_LOCK
    # Left to right: the client's locks, then the day's.
    client_columns = "".join(
        f", pg_advisory_xact_lock(hashtext(%(lock_{n})s))"
        for n in range(client_locks if locked else 0)
    )
    chosen_start = _CHOSEN.format(column="start_time")
    service_end = _SERVICE_END[vendor].format(start=chosen_start)
    return f"""
SELECT {_SLOT_COLUMNS}, {_STAFF_COLUMNS}, {_SERVICE_COLUMNS}{client_columns},
       {day_locks if locked else "true"} AS exact
FROM {_SLOTS} a
JOIN {Staff._meta.db_table} st ON st.id = a.staff_id
JOIN {Staff.services.through._meta.db_table} ss ON ss.staff_id = st.id
JOIN {Service._meta.db_table} sv ON sv.id = ss.service_id
WHERE ss.service_id = %(service)s
  AND a.staff_id = {_CHOSEN.format(column="staff_id")}
  AND a.start_time >= {chosen_start}
  AND a.start_time < {service_end}
ORDER BY a.id
{"FOR NO KEY UPDATE OF a" if postgresql else ""}
"""


_SERVICE_MODEL_FIELDS = tuple(Service._meta.get_field(name) for name in _SERVICE_FIELDS)


def lock_slot_offering(
    *,
    availability_id: int,
    service_id: int,
    client_lock: str | None,
    network_locks: Sequence[str] = (),
) -> tuple[list[Availability], Service, bool]:
    """Lock the slots a booking would take and read the staff member and the
    service, in one statement; returns them and whether the service-day's
    count under these locks is exact (see the module's docstring).

    The slots are the chosen one and its staff member's slots starting
    before the service would end (for a service longer than the slot, the
    ones it would take next), locked in primary-key order; the caller checks
    they follow each other (`holds.slot_run`). Rows come back only if the
    slot's staff member offers the service; otherwise a second look says
    which id was wrong (the error path may cost more). With `client_lock` on
    PostgreSQL, the same statement takes that transaction-scoped advisory
    lock, then those of `network_locks` (the client's wider networks) and
    the service-day's ticket(s), in that order: PostgreSQL computes the rows
    before it locks them, so the advisory locks come first. Only booking
    creation takes them, always in this order, and nothing that holds a slot
    waits for one, so adding them ahead of the lock order of `common.db`
    cannot close a cycle; the limits' count runs as the next statement,
    whose snapshot is taken after all of them.
    """
    client_locks = (client_lock, *network_locks) if client_lock is not None else ()
    tickets = service_day_tickets()
    parameters = {
        "slot": availability_id,
        "service": service_id,
        "zone": settings.TIME_ZONE,
        "tickets": tickets,
        "ticket": _draw_ticket(tickets),
        # Every ticket for the redo after NearDayLimit, and wherever no redo
        # can follow (a caller's own transaction): there the count is exact.
        "every_ticket": _every_ticket_next.get() or not redo_possible(),
        **{f"lock_{n}": key for n, key in enumerate(client_locks)},
    }
    _every_ticket_next.set(False)
    with connection.cursor() as cursor:
        cursor.execute(
            _statement(connection.vendor, len(client_locks), tickets), parameters
        )
        rows = cursor.fetchall()
    if not rows:
        if not Availability.objects.filter(pk=availability_id).exists():
            raise exceptions.UnknownSlot(availability_id)
        if not Service.objects.filter(pk=service_id).exists():
            raise exceptions.UnknownService(service_id)
        raise exceptions.ServiceNotOffered()
    slot_end = len(_SLOT_FIELDS)
    staff_end = slot_end + len(_STAFF_FIELDS)
    service_end = staff_end + len(_SERVICE_FIELDS)
    staff = instance(Staff, _STAFF_FIELDS, rows[0][slot_end:staff_end])
    slots = []
    for row in rows:
        slot = instance(Availability, _SLOT_FIELDS, row[:slot_end])
        slot.staff = staff
        slots.append(slot)
    service = instance(Service, _SERVICE_MODEL_FIELDS, rows[0][staff_end:service_end])
    # The last column (after the client's locks).
    return slots, service, bool(rows[0][-1])
