"""The slot domain layer: every write that changes a slot (Availability).

Slot writes lock the staff member first, so that two writes for one staff
member cannot both pass the overlap check; the lock helpers here are also what
bookings uses to lock a slot before its booking (the one lock order, staff
then slot then booking, is described in `common.db`). Bookings mark their
slots taken and free through `availabilities_set_booked`; this module knows
nothing of bookings, only the `is_booked` flag they keep. The schedules app
makes and removes its generated slots through `availabilities_sync_generated`
and hides the slots a closure covers through `availabilities_set_closed`;
this module knows nothing of working hours or closures either, and announces
the slots staff write by hand (`slots_written`) to whoever must know.
"""

from bisect import bisect_left
from datetime import date, datetime, timedelta
from datetime import time as dt_time

from django.utils import timezone

from apps.availability import exceptions
from apps.availability.models import Availability
from apps.availability.signals import slots_written
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
        .filter(pk__in_ids=sorted(set(availability_ids)))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def lock_slots_overlapping(
    *, staff_ids: list[int] | None, start: datetime, end: datetime
) -> list[Availability]:
    """Lock every slot of these staff members (all, with None) that overlaps
    [start, end), in primary-key order; return them.

    The caller holds the staff rows' locks (lock order: staff, then slots).
    """
    slots = Availability.objects.select_for_update(no_key=True).filter(
        start_time__lt=end, end_time__gt=start
    )
    if staff_ids is not None:
        slots = slots.filter(staff_id__in=staff_ids)
    return list(slots.order_by("pk"))


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
        if availability.is_held:
            raise exceptions.SlotHeld()
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
        slot = Availability.objects.create(
            staff=staff, start_time=start_time, end_time=end_time
        )
        _announce([slot.pk])
        return slot


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
        _announce([slot.pk])
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
        if slot.is_held:
            raise exceptions.SlotHeld()
        slot.delete()


def _announce(slot_ids: list[int]) -> None:
    """Tell listeners (closures) about slots staff just wrote, in the write's
    transaction, so a slot made inside a closure is hidden before it commits."""
    if slot_ids:
        slots_written.send(sender=Availability, slot_ids=slot_ids)


def availabilities_set_booked(
    slot_ids: list[int], *, booked: bool, now: datetime
) -> int:
    """Mark locked slots taken or free, in one statement; call in the booking's
    transaction (a booking takes or frees all its slots together).

    Taking a slot ends any hold on it in the same statement: the caller
    checked the hold was its own (an accepted offer), so a held slot passes
    to its booking without a moment in which it is free.
    """
    changes = {"is_booked": booked, "updated_at": now}
    if booked:
        changes["is_held"] = False
    return Availability.objects.filter(pk__in_ids=slot_ids).update(**changes)


def availabilities_set_held(
    slot_ids: list[int], *, held: bool, now: datetime | None = None
) -> int:
    """Hold locked free slots for an offer, or let them go; one statement.

    Holding touches only slots neither booked, closed nor held, so the count
    returned tells the caller whether it got them all.
    """
    if not slot_ids:
        return 0
    slots = Availability.objects.filter(pk__in=slot_ids, is_held=not held)
    if held:
        slots = slots.filter(is_booked=False, is_closed=False)
    return slots.update(is_held=held, updated_at=now or timezone.now())


def availabilities_release(slot_ids: list[int], *, now: datetime) -> int:
    """Mark many locked slots free in one statement (an expiry batch)."""
    return availabilities_set_booked(slot_ids, booked=False, now=now)


def availabilities_set_closed(
    slot_ids: list[int], *, closed: bool, now: datetime | None = None
) -> int:
    """Hide slots a closure covers, or show them again; one statement.

    A closed slot keeps a booking it holds (the closure decided to keep it);
    once free it is never offered or booked. Returns the slots changed.
    """
    if not slot_ids:
        return 0
    return (
        Availability.objects.filter(pk__in=slot_ids)
        .exclude(is_closed=closed)
        .update(is_closed=closed, updated_at=now or timezone.now())
    )


def availabilities_sync_generated(
    *,
    staff: Staff,
    wanted: list[tuple[datetime, datetime]],
    blocked: list[tuple[datetime, datetime]] = (),
    since: datetime,
    create_until: datetime | None = None,
) -> tuple[int, int]:
    """Make one staff member's generated slots after `since` the `wanted` ones.

    Generated (`working_hours`) slots after `since` that are free and not
    wanted are deleted; wanted slots starting before `create_until` that do
    not exist yet are created, unless they would overlap another slot (one
    made by hand, one booked on an earlier grid) or fall in a `blocked`
    interval (a closure). Slots made by hand and booked slots are never
    touched. Idempotent: a second call with the same arguments changes
    nothing. Returns (created, deleted).
    """
    with write_transaction():
        lock_staff(staff.pk)
        existing = list(
            Availability.objects.filter(staff=staff, end_time__gt=since).values_list(
                "pk", "start_time", "end_time", "source", "is_booked", "is_held"
            )
        )
        wanted_set = {
            (start, end) for start, end in wanted if start > since and end > start
        }
        stale = [
            pk
            for pk, start, end, source, is_booked, is_held in existing
            if source == Availability.Source.WORKING_HOURS
            and not is_booked
            and not is_held
            and start > since
            and (start, end) not in wanted_set
        ]
        deleted = _delete_free(stale)
        deleted_ids = set(deleted)
        taken = _Intervals(
            (start, end) for pk, start, end, *_ in existing if pk not in deleted_ids
        )
        new = [
            Availability(
                staff=staff,
                start_time=start,
                end_time=end,
                source=Availability.Source.WORKING_HOURS,
            )
            for start, end in sorted(wanted_set)
            if (create_until is None or start < create_until)
            and not taken.overlaps(start, end)
            and not _overlaps_any(start, end, blocked)
        ]
        Availability.objects.bulk_create(new, batch_size=1000)
    return len(new), len(deleted)


class _Intervals:
    """One staff member's slots, which never overlap: sorted by start, their
    ends are sorted too, so one bisection finds the only one that could
    overlap a new interval (a horizon run checks thousands)."""

    def __init__(self, intervals):
        self.intervals = sorted(intervals)
        self.starts = [start for start, _ in self.intervals]

    def overlaps(self, start, end) -> bool:
        before = bisect_left(self.starts, end)
        return before > 0 and self.intervals[before - 1][1] > start


def _overlaps_any(start, end, intervals) -> bool:
    return any(
        start < other_end and other_start < end for other_start, other_end in intervals
    )


def _delete_free(slot_ids: list[int]) -> list[int]:
    """Delete the slots of `slot_ids` still free, locking them first.

    A slot a booking is taking right now is held by that booking's lock and
    skipped (it is booked once the lock is released); the locked rows are
    re-read as free before they go. Returns the ids deleted.
    """
    if not slot_ids:
        return []
    free = list(
        Availability.objects.select_for_update(no_key=True, skip_locked=True)
        .filter(pk__in=slot_ids, is_booked=False, is_held=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if free:
        # Cancelled bookings lose their reference to a deleted slot, as with
        # availability_delete.
        Availability.objects.filter(pk__in=free).delete()
    return free


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
    created = []
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
                        created.append(
                            Availability.objects.create(
                                staff=staff, start_time=start, end_time=end
                            ).pk
                        )
                    start = end + buffer
            day += timedelta(days=1)
        _announce(created)
    return len(created)
