"""The slots a booking holds: taken and released together, with their flags.

A booking takes its first slot and, for a service longer than that slot, the
consecutive slots after it (one `BookingSlot` each). Every writer changes the
holds and the slots' `is_booked` flags in the same transaction, with the
slots locked (lock order of `common.db`), through these two functions.
"""

from datetime import datetime, timedelta

from django.db import IntegrityError, connection

from apps.availability.models import Availability
from apps.availability.services import availabilities_set_booked
from apps.bookings import exceptions
from apps.bookings.models import Booking, BookingSlot
from apps.services.models import Service
from common.db import ClashingInsert


def slot_run(
    slots: list[Availability],
    *,
    first_slot_id: int,
    service: Service,
) -> list[Availability]:
    """The slots a booking of `service` starting at `first_slot_id` takes.

    `slots` are the first slot's staff member's slots starting before the
    service would end (locked); they must follow each other without a gap
    up to its end, or it is 400 `slot_too_short`. Whether they are open is
    `check_run_open`'s question.
    """
    by_start = sorted(slots, key=lambda slot: slot.start_time)
    if not by_start or by_start[0].pk != first_slot_id:
        # The first slot moved since the caller chose it.
        raise exceptions.SlotUnavailable()
    needed_end = by_start[0].start_time + timedelta(minutes=service.duration_minutes)
    run = [by_start[0]]
    for slot in by_start[1:]:
        if run[-1].end_time >= needed_end or slot.start_time != run[-1].end_time:
            break
        run.append(slot)
    if run[-1].end_time < needed_end:
        raise exceptions.SlotTooShort()
    return run


def check_run_open(
    run: list[Availability], own_slot_ids=frozenset(), held_slot_ids=frozenset()
) -> None:
    """409 `slot_unavailable` when a slot of the run is taken, closed or held
    for someone else (`held_slot_ids`: the holds the caller was given)."""
    for slot in run:
        if (
            slot.is_closed
            or (slot.is_booked and slot.pk not in own_slot_ids)
            or (slot.is_held and slot.pk not in held_slot_ids)
        ):
            raise exceptions.SlotUnavailable()


def take_slots(booking: Booking, run: list[Availability], *, now: datetime) -> None:
    """Hold the run's slots for `booking`: one insert and one update.

    The insert is backed by the one-active-hold-per-slot index: a clash
    means a slot's flag was stale, and the transaction is redone to answer
    that the slot is taken.
    """
    slot_ids = [slot.pk for slot in run]
    try:
        if connection.vendor == "postgresql":
            _take_in_one_statement(booking, slot_ids, now=now)
        else:
            BookingSlot.objects.bulk_create(
                [BookingSlot(booking=booking, availability=slot) for slot in run]
            )
    except IntegrityError as error:
        raise ClashingInsert(answer=exceptions.SlotUnavailable()) from error
    if connection.vendor != "postgresql":
        availabilities_set_booked(slot_ids, booked=True, now=now)
    for slot in run:
        slot.is_booked = True


_TAKE_SQL = f"""
WITH held AS (
    INSERT INTO "{BookingSlot._meta.db_table}" (booking_id, availability_id, active)
    SELECT %s, slot_id, true FROM unnest(%s::bigint[]) AS slot_id
    RETURNING availability_id
)
UPDATE "{Availability._meta.db_table}"
SET is_booked = true, is_held = false, updated_at = %s
WHERE id IN (SELECT availability_id FROM held)
"""


def _take_in_one_statement(booking: Booking, slot_ids: list[int], *, now) -> None:
    """PostgreSQL: the holds' insert and the slots' flags as one statement (a
    data-modifying CTE; issue 35's statement budget). The flags change as
    `availabilities_set_booked(booked=True)` changes them: taken, and any
    hold ended. SQLite has no such statement and runs the two."""
    with connection.cursor() as cursor:
        cursor.execute(_TAKE_SQL, [booking.pk, slot_ids, now])


def release_slots(booking: Booking, slot_ids: list[int], *, now: datetime) -> None:
    """Free every slot `booking` holds (locked by the caller)."""
    BookingSlot.objects.filter(booking=booking, active=True).update(active=False)
    availabilities_set_booked(slot_ids, booked=False, now=now)
    if booking.availability is not None and booking.availability_id in slot_ids:
        booking.availability.is_booked = False
