"""Row locks of the booking domain, in the one lock order of `common.db`.

Staff, then slot, then booking: a booking's slots are locked before the
booking itself, slots in primary-key order, through availability's helpers.
"""

from collections.abc import Sequence

from django.db import connection, transaction
from django.db.models import (
    F,
    FilteredRelation,
    Func,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Cast, Concat, TruncDate
from django.utils import timezone

from apps.availability.models import Availability
from apps.availability.selectors import minutes
from apps.availability.services import lock_availabilities
from apps.bookings import exceptions
from apps.bookings.models import Booking
from apps.services.models import Service
from common.exceptions import LockTimeout


class _SlotMoved(Exception):
    """The booking moved to another slot between reading and locking it."""


_LOCK_ATTEMPTS = 3


def _slots_of(booking_id: int) -> tuple[int | None, set[int]]:
    """A booking's first slot and the slots it holds, in one statement."""
    rows = list(
        Booking.objects.filter(pk=booking_id)
        .annotate(
            held=FilteredRelation("slot_holds", condition=Q(slot_holds__active=True))
        )
        .values_list("availability_id", "held__availability_id")
    )
    if not rows:
        raise Booking.DoesNotExist("No booking matches the given query.")
    return rows[0][0], {held for _, held in rows if held is not None}


def lock_booking(booking_id: int, *, also_slot_ids=()) -> Booking:
    """Lock a booking's slots (and `also_slot_ids`), then the booking itself.

    Slots first, in primary-key order, like every other writer. The slot ids
    are read before any lock, so a reschedule committing in between can move
    the booking off the slots just locked: the attempt runs in a savepoint,
    whose rollback releases its locks, and starts again with the new slots
    (every change of the slots a booking holds moves its first slot or ends
    the booking). The booking comes back with `held_slot_ids`: the slots it
    holds, all locked.
    """
    for _ in range(_LOCK_ATTEMPTS):
        availability_id, held = _slots_of(booking_id)
        # The first slot too: bookings written before holds existed (and
        # plain-SQL fixtures) hold it without a row.
        held = held | ({availability_id} - {None})
        slot_ids = sorted(held | set(also_slot_ids))
        try:
            with transaction.atomic():
                lock_availabilities(slot_ids)
                booking = (
                    Booking.objects.select_for_update(no_key=True, of=("self",))
                    .select_related("availability", "service", "staff")
                    .get(pk=booking_id)
                )
                if booking.availability_id != availability_id:
                    raise _SlotMoved()
                booking.held_slot_ids = sorted(held) if booking.is_active else []
                return booking
        except _SlotMoved:
            continue
    raise LockTimeout()


def booking_lock(*, booking_id: int) -> Booking:
    """Lock a booking (and its slot first) inside the caller's transaction.

    For other apps that decide something about a booking and must not race
    its transitions (bank reconciliation); the caller opens the transaction.
    """
    return lock_booking(booking_id)


def bookings_lock_skipping_held(bookings: QuerySet[Booking]) -> list[Booking]:
    """Lock the bookings of a query that no other writer holds; skip the rest.

    For jobs that act on many bookings in the caller's transaction (the
    reminders): a held booking is being changed, and a later run sees the
    result. Only the booking rows are locked; nothing waits, so the lock
    order cannot be crossed.
    """
    return list(
        bookings.select_for_update(no_key=True, skip_locked=True, of=("self",))
        .select_related("service", "staff", "availability")
        .order_by("pk")
    )


_SERVICE_FIELDS = ("id", "name", "duration_minutes", "price", "is_active")


def lock_slot_offering(
    *,
    availability_id: int,
    service_id: int,
    client_lock: str | None,
    network_locks: Sequence[str] = (),
) -> tuple[list[Availability], Service]:
    """Lock the slots a booking would take and read the staff member and the
    service, in one statement.

    The slots are the chosen one and its staff member's slots starting
    before the service would end (for a service longer than the slot, the
    ones it would take next), locked in primary-key order; the caller checks
    they follow each other (`holds.slot_run`). Rows come back only if the
    slot's staff member offers the service; otherwise a second look says
    which id was wrong (the error path may cost more). With `client_lock` on
    PostgreSQL, the same statement takes that transaction-scoped advisory
    lock, then those of `network_locks` (the client's wider networks) and
    one on the chosen slot's service-day, in that order (the same keys for
    every row): PostgreSQL computes the rows before it locks them, so the
    advisory locks come first. Only booking creation takes them, always in
    this order, and nothing that holds a slot waits for one, so adding them
    ahead of the lock order of `common.db` cannot close a cycle; the limits'
    count runs as the next statement, whose snapshot is taken after all of
    them.
    """
    chosen = Availability.objects.filter(pk=availability_id)
    starts = Subquery(chosen.values("start_time"))
    service_columns = {
        f"service_{name}": F(f"staff__services__{name}") for name in _SERVICE_FIELDS
    }
    if client_lock is not None and connection.vendor == "postgresql":
        keys = [Value(client_lock), *map(Value, network_locks)]
        keys.append(_service_day_lock_key(service_id, starts))
        for index, key in enumerate(keys):
            service_columns[f"advisory_lock_{index}"] = Func(
                Func(key, function="hashtext"),
                function="pg_advisory_xact_lock",
                output_field=TextField(),
            )
    slots = list(
        Availability.objects.select_for_update(no_key=True, of=("self",))
        .select_related("staff")
        .filter(
            staff__services=service_id,
            staff_id=Subquery(chosen.values("staff_id")),
            start_time__gte=starts,
        )
        .annotate(**service_columns)
        # The annotation, not the path: a new filter() on a many-to-many path
        # would join the services a second time.
        .filter(start_time__lt=starts + minutes(F("service_duration_minutes")))
        .order_by("pk")
    )
    if not slots:
        if not chosen.exists():
            raise exceptions.UnknownSlot(availability_id)
        if not Service.objects.filter(pk=service_id).exists():
            raise exceptions.UnknownService(service_id)
        raise exceptions.ServiceNotOffered()
    service = Service.from_db(
        connection.alias,
        list(_SERVICE_FIELDS),
        [getattr(slots[0], f"service_{name}") for name in _SERVICE_FIELDS],
    )
    return slots, service


def _service_day_lock_key(service_id: int, starts: Subquery) -> Concat:
    """`booking-day:<service>:<date>`, the date the booking starts in the
    business timezone: the unpaid holds per service-day are counted under it."""
    return Concat(
        Value(f"booking-day:{service_id}:"),
        Cast(
            TruncDate(starts, tzinfo=timezone.get_default_timezone()),
            output_field=TextField(),
        ),
        output_field=TextField(),
    )
