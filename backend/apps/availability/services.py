"""The slot domain layer: every write that changes a slot (Availability).

Slot writes lock the staff member first, so that two writes for one staff
member cannot both pass the overlap check; the lock helpers here are also what
bookings uses to lock a slot before its booking (the one lock order, staff
then slot then booking, is described in `common.db`). Bookings mark their
slots taken and free through `availability_set_booked` and
`availabilities_release`; this module knows nothing of bookings, only the
`is_booked` flag they keep.
"""

from datetime import date, datetime, timedelta
from datetime import time as dt_time

from django.utils import timezone

from apps.availability import exceptions
from apps.availability.models import Availability
from apps.staff.models import Staff
from common.dates import allowed_date_range, is_allowed_date
from common.db import write_transaction

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


# --- locking helpers ------------------------------------------------------


def lock_staff(*staff_ids: int) -> None:
    """Lock staff rows, in primary-key order."""
    # list() runs the query: a lazy queryset would take no lock.
    list(
        Staff.objects.select_for_update(no_key=True)
        .filter(pk__in=sorted(set(staff_ids)))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def lock_availability(availability_id: int) -> Availability:
    """Lock one slot and return it with its staff member."""
    return (
        Availability.objects.select_for_update(no_key=True, of=("self",))
        .select_related("staff")
        .get(pk=availability_id)
    )


def lock_availabilities(availability_ids, *, skip_locked: bool = False) -> list[int]:
    """Lock slots in primary-key order; return the ids locked.

    With `skip_locked`, slots another writer holds are left out rather than
    waited for (the expiry job's way).
    """
    return list(
        Availability.objects.select_for_update(no_key=True, skip_locked=skip_locked)
        .filter(pk__in=sorted(set(availability_ids)))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _out_of_range() -> exceptions.SlotOutOfRange:
    earliest, latest = allowed_date_range()
    return exceptions.SlotOutOfRange(
        f"Slots can be made from {earliest.isoformat()} to {latest.isoformat()}."
    )


def availability_validate(
    *, staff_id: int, start_time, end_time, availability: Availability | None = None
) -> None:
    """Raise the domain error a slot write would meet; write nothing.

    The writes below call it under their locks; forms (the admin) call it
    first for friendly field errors.
    """
    if end_time <= start_time:
        raise exceptions.InvalidSlotTimes()
    if not (is_allowed_date(start_time) and is_allowed_date(end_time)):
        raise _out_of_range()
    if availability is not None:
        moved = (staff_id, start_time, end_time) != (
            availability.staff_id,
            availability.start_time,
            availability.end_time,
        )
        if not moved:
            return
        if availability.is_booked:
            raise exceptions.SlotHasActiveBooking()
    overlapping = Availability.objects.filter(
        staff_id=staff_id, start_time__lt=end_time, end_time__gt=start_time
    )
    if availability is not None:
        overlapping = overlapping.exclude(pk=availability.pk)
    if overlapping.exists():
        raise exceptions.SlotOverlap()


def availability_create(*, staff: Staff, start_time, end_time) -> Availability:
    """Add a slot; the staff row lock makes the overlap check race-free."""
    with write_transaction():
        lock_staff(staff.pk)
        availability_validate(
            staff_id=staff.pk, start_time=start_time, end_time=end_time
        )
        return Availability.objects.create(
            staff=staff, start_time=start_time, end_time=end_time
        )


def availability_update(*, availability: Availability, changes: dict) -> Availability:
    """Move a slot in time or to another staff member, unless a booking holds it."""
    unknown = set(changes) - {"staff", "start_time", "end_time"}
    if unknown:
        raise ValueError(f"availability_update cannot change {sorted(unknown)}")
    new_staff = changes.get("staff")
    with write_transaction():
        lock_staff(availability.staff_id, *([new_staff.pk] if new_staff else []))
        slot = lock_availability(availability.pk)
        staff_id = new_staff.pk if new_staff else slot.staff_id
        start_time = changes.get("start_time", slot.start_time)
        end_time = changes.get("end_time", slot.end_time)
        availability_validate(
            staff_id=staff_id,
            start_time=start_time,
            end_time=end_time,
            availability=slot,
        )
        if (staff_id, start_time, end_time) == (
            slot.staff_id,
            slot.start_time,
            slot.end_time,
        ):
            return slot
        slot.staff_id, slot.start_time, slot.end_time = staff_id, start_time, end_time
        slot.save(update_fields=["staff", "start_time", "end_time", "updated_at"])
        return slot


def availability_delete(*, availability: Availability) -> None:
    """Delete a slot no active booking holds; cancelled bookings keep their history.

    `is_booked`, read under the slot's lock, says whether one holds it; the
    database backs that up (an active booking must keep its slot).
    """
    with write_transaction():
        slot = lock_availability(availability.pk)
        if slot.is_booked:
            raise exceptions.SlotHasActiveBooking()
        slot.delete()


def availability_set_booked(slot: Availability, *, booked: bool) -> None:
    """Mark a slot taken or free; call with the slot locked, in the booking's
    transaction."""
    slot.is_booked = booked
    slot.save(update_fields=["is_booked", "updated_at"])


def availabilities_release(slot_ids: list[int], *, now: datetime) -> int:
    """Mark many locked slots free in one statement (an expiry batch)."""
    return Availability.objects.filter(pk__in=slot_ids).update(
        is_booked=False, updated_at=now
    )


def availability_generate(
    *,
    staff: Staff,
    first_day: date,
    last_day: date,
    day_start: dt_time,
    day_end: dt_time,
    every_minutes: int,
    weekdays: frozenset[int] = frozenset(range(7)),
    buffer_minutes: int = 0,
) -> int:
    """Create slots of `every_minutes` on each chosen day, `buffer_minutes` apart.

    Times are wall-clock times in BOOKING_TIMEZONE, so a 09:00 slot stays at
    09:00 across a daylight-saving change. Slots that would overlap an
    existing one are skipped, which makes a rerun create nothing. Returns the
    number of slots created.
    """
    if every_minutes < 1:
        raise ValueError("every_minutes must be at least 1")
    if not (is_allowed_date(first_day) and is_allowed_date(last_day)):
        raise _out_of_range()
    if buffer_minutes < 0:
        raise ValueError("buffer_minutes must not be negative")
    zone = timezone.get_default_timezone()
    length = timedelta(minutes=every_minutes)
    buffer = timedelta(minutes=buffer_minutes)
    created = 0
    with write_transaction():
        lock_staff(staff.pk)
        day = first_day
        while day <= last_day:
            if day.weekday() in weekdays:
                start = datetime.combine(day, day_start, tzinfo=zone)
                day_close = datetime.combine(day, day_end, tzinfo=zone)
                while start + length <= day_close:
                    end = start + length
                    clash = Availability.objects.filter(
                        staff=staff, start_time__lt=end, end_time__gt=start
                    ).exists()
                    if not clash:
                        Availability.objects.create(
                            staff=staff, start_time=start, end_time=end
                        )
                        created += 1
                    start = end + buffer
            day += timedelta(days=1)
    return created
