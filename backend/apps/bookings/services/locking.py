"""Row locks of the booking domain, in the one lock order of `common.db`.

Staff, then slot, then booking: a booking's slots are locked before the
booking itself, slots in primary-key order, through availability's helpers.
"""

from django.db import transaction
from django.db.models import (
    FilteredRelation,
    Q,
    QuerySet,
)

from apps.availability.services import lock_availabilities
from apps.bookings.models import Booking
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
