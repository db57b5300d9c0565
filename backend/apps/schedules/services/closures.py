"""Closures and absences, and what they do to the bookings they cover.

A closure (or a wider one) and everything it causes commit in one
transaction or not at all. It locks the staff rows it concerns (all of them,
in primary-key order, for the whole business), then every slot around its
time that a booking inside it could hold (slots before bookings: the lock
order of `common.db`), then decides: bookings inside it are a 409
`closure_conflicts` unless the caller said what to do with them. A booking
racing the closure either committed first (and is in the list) or waits for
the slot's lock and then finds the slot closed (409 `slot_unavailable`):
no booking is ever made inside a committed closure.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Max, Q
from django.utils import timezone

from apps.availability.models import Availability
from apps.availability.selectors import availability_bookable
from apps.availability.services import (
    availabilities_set_closed,
    lock_slots_overlapping,
    lock_staff,
)
from apps.bookings.models import Booking, BookingEvent
from apps.bookings.selectors import bookings_holding_time
from apps.bookings.services import booking_cancel
from apps.schedules import exceptions
from apps.schedules.models import Closure
from apps.schedules.signals import closure_reschedule_offered
from apps.services.models import Service
from apps.staff.models import Staff
from common.dates import is_allowed_date
from common.db import write_transaction

KEEP, CANCEL, OFFER_RESCHEDULE = "keep", "cancel", "offer_reschedule"
ON_CONFLICT_CHOICES = (KEEP, CANCEL, OFFER_RESCHEDULE)
CLOSURE_FIELDS = ("starts_at", "ends_at", "staff", "kind", "public_note")
SUGGESTED_TIMES = 3
REASONS = {
    Closure.Kind.HOLIDAY: "We are closed for a public holiday at that time.",
    Closure.Kind.CLOSED: "We are closed at that time.",
    Closure.Kind.ABSENCE: "The staff member is not available at that time.",
}


@dataclass(frozen=True)
class Coverage:
    """The time a closure covers: of one staff member, or all (None)."""

    staff_id: int | None
    starts_at: datetime
    ends_at: datetime

    @classmethod
    def of(cls, closure: Closure) -> "Coverage":
        return cls(closure.staff_id, closure.starts_at, closure.ends_at)


@dataclass
class ClosureResult:
    closure: Closure
    kept: list[Booking] = field(default_factory=list)
    cancelled: list[Booking] = field(default_factory=list)
    offered: list[Booking] = field(default_factory=list)


def conflict_row(booking: Booking) -> dict:
    """A booking inside a closure, as the 409 body and the admin list it."""
    return {
        "reference": booking.reference,
        "status": booking.status,
        "start_time": booking.availability.start_time.isoformat(),
        "end_time": (booking.ends_at or booking.availability.end_time).isoformat(),
        "staff": booking.staff_id,
        "staff_name": booking.staff.name,
        "service_name": booking.service.name,
    }


def closure_validate(*, starts_at, ends_at, kind, staff) -> None:
    if ends_at <= starts_at:
        raise exceptions.InvalidClosureTimes()
    if not (is_allowed_date(starts_at) and is_allowed_date(ends_at)):
        raise exceptions.ClosureOutOfRange()
    if kind == Closure.Kind.ABSENCE and staff is None:
        raise exceptions.AbsenceNeedsStaff()


def closure_conflicts(
    *,
    starts_at: datetime,
    ends_at: datetime,
    staff: Staff | None,
    closure: Closure | None = None,
    now: datetime | None = None,
) -> list[Booking]:
    """The bookings a closure would meet (read without locks: the admin's
    confirmation page); the write checks again under its locks."""
    coverage = Coverage(staff.pk if staff else None, starts_at, ends_at)
    before = Coverage.of(closure) if closure is not None and closure.pk else None
    return _conflicts(coverage, before, now=now or timezone.now())


def closure_create(
    *,
    starts_at: datetime,
    ends_at: datetime,
    kind: str,
    staff: Staff | None = None,
    public_note: str = "",
    on_conflict: str | None = None,
    actor=None,
    now: datetime | None = None,
) -> ClosureResult:
    """Close the business (or a staff member) from `starts_at` to `ends_at`.

    Bookings inside it (awaiting payment or confirmed, not started): without
    `on_conflict`, 409 `closure_conflicts` listing them and nothing written;
    `keep` leaves them; `cancel` cancels each (source `closure`, the guest
    told why, with a link to book again); `offer_reschedule` cancels the
    unpaid ones and sends each confirmed guest their reschedule link and the
    nearest free times.
    """
    closure = Closure(
        starts_at=starts_at,
        ends_at=ends_at,
        kind=kind,
        staff=staff,
        public_note=public_note,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    return _apply(
        closure, existing=False, on_conflict=on_conflict, actor=actor, now=now
    )


def closure_update(
    *,
    closure: Closure,
    changes: dict,
    on_conflict: str | None = None,
    actor=None,
    now: datetime | None = None,
) -> ClosureResult:
    """Change a closure. Only bookings the new time covers and the old did
    not are conflicts (the ones inside it were decided on when it was made);
    slots it no longer covers open again unless another closure covers them.
    """
    unknown = set(changes) - set(CLOSURE_FIELDS)
    if unknown:
        raise ValueError(f"closure_update cannot change {sorted(unknown)}")
    for name, value in changes.items():
        setattr(closure, name, value)
    return _apply(closure, existing=True, on_conflict=on_conflict, actor=actor, now=now)


def closure_delete(*, closure: Closure, now: datetime | None = None) -> int:
    """Delete a closure and open the slots no other closure covers; returns
    how many opened. Generated slots it kept from being made come on the
    horizon job's next run."""
    with write_transaction():
        _lock_staff_of({closure.staff_id})
        current = Closure.objects.select_for_update().filter(pk=closure.pk).first()
        if current is None:
            return 0
        coverage = Coverage.of(current)
        current.delete()
        return _reopen(coverage, now=now or timezone.now())


# --- the one write path ---------------------------------------------------------------


def _apply(
    closure: Closure, *, existing: bool, on_conflict, actor, now
) -> ClosureResult:
    if on_conflict is not None and on_conflict not in ON_CONFLICT_CHOICES:
        raise ValueError(f"on_conflict must be one of {ON_CONFLICT_CHOICES}")
    closure_validate(
        starts_at=closure.starts_at,
        ends_at=closure.ends_at,
        kind=closure.kind,
        staff=closure.staff,
    )
    with write_transaction():
        scope = {closure.staff_id}
        if existing:
            scope.add(
                Closure.objects.filter(pk=closure.pk)
                .values_list("staff_id", flat=True)
                .get()
            )
        staff_ids = _lock_staff_of(scope)
        old = None
        if existing:
            old = Coverage.of(Closure.objects.select_for_update().get(pk=closure.pk))
        coverage = Coverage.of(closure)
        _lock_slots_around(coverage, old, staff_ids)
        now = now or timezone.now()
        conflicts = _conflicts(coverage, old, now=now)
        if conflicts and on_conflict is None:
            raise exceptions.ClosureConflicts([conflict_row(b) for b in conflicts])
        closure.save()
        _close(coverage, now=now)
        if old is not None:
            _reopen(old, now=now)
        return _handle(closure, conflicts, on_conflict, actor=actor, now=now)


def _lock_staff_of(scope: set[int | None]) -> list[int] | None:
    """Lock the staff rows a closure concerns; None (all of them) for the
    business. Returns the ids, or None for all."""
    if None in scope:
        lock_staff(*Staff.objects.values_list("pk", flat=True))
        return None
    lock_staff(*scope)
    return sorted(scope)


def _lock_slots_around(coverage: Coverage, old: Coverage | None, staff_ids) -> None:
    """Lock the slots a booking inside the closure could hold, in pk order.

    A booking reaching into the closure holds slots up to its service's
    length before or after it; all of those are locked now, before any
    booking (each cancelled one locks its own slots again, already held).
    """
    longest = Service.objects.aggregate(longest=Max("duration_minutes"))["longest"]
    margin = timedelta(minutes=longest or 0)
    start, end = coverage.starts_at, coverage.ends_at
    if old is not None:
        start, end = min(start, old.starts_at), max(end, old.ends_at)
    lock_slots_overlapping(staff_ids=staff_ids, start=start - margin, end=end + margin)


def _conflicts(coverage: Coverage, old: Coverage | None, *, now) -> list[Booking]:
    inside = bookings_holding_time(
        start=coverage.starts_at, end=coverage.ends_at, staff_id=coverage.staff_id
    ).filter(availability__start_time__gt=now)
    if old is not None:
        inside = inside.exclude(
            pk__in=bookings_holding_time(
                start=old.starts_at, end=old.ends_at, staff_id=old.staff_id
            ).values("pk")
        )
    return list(inside.order_by("availability__start_time", "pk"))


def _close(coverage: Coverage, *, now) -> int:
    covered = Availability.objects.filter(
        start_time__lt=coverage.ends_at, end_time__gt=coverage.starts_at
    )
    if coverage.staff_id is not None:
        covered = covered.filter(staff_id=coverage.staff_id)
    return availabilities_set_closed(
        list(covered.filter(is_closed=False).values_list("pk", flat=True)),
        closed=True,
        now=now,
    )


def _reopen(coverage: Coverage, *, now) -> int:
    """Open the slots of `coverage` that no (remaining) closure covers."""
    slots = Availability.objects.filter(
        is_closed=True, start_time__lt=coverage.ends_at, end_time__gt=coverage.starts_at
    )
    others = Closure.objects.filter(
        starts_at__lt=coverage.ends_at, ends_at__gt=coverage.starts_at
    )
    if coverage.staff_id is not None:
        slots = slots.filter(staff_id=coverage.staff_id)
        others = others.filter(Q(staff__isnull=True) | Q(staff_id=coverage.staff_id))
    remaining = list(others.values_list("staff_id", "starts_at", "ends_at"))
    to_open = [
        pk
        for pk, staff_id, start, end in slots.values_list(
            "pk", "staff_id", "start_time", "end_time"
        )
        if not any(
            (who is None or who == staff_id) and start < c_end and c_start < end
            for who, c_start, c_end in remaining
        )
    ]
    return availabilities_set_closed(to_open, closed=False, now=now)


def _handle(closure, conflicts, on_conflict, *, actor, now) -> ClosureResult:
    result = ClosureResult(closure=closure)
    if not conflicts:
        return result
    if on_conflict == KEEP:
        result.kept = conflicts
        return result
    reason = closure.public_note or REASONS[closure.kind]
    offers = []
    for booking in conflicts:
        if on_conflict == OFFER_RESCHEDULE and (
            booking.status == Booking.Status.CONFIRMED
        ):
            offers.append((booking, nearest_free_times(booking, now=now)))
            result.offered.append(booking)
            continue
        result.cancelled.append(
            booking_cancel(
                booking=booking,
                actor=actor,
                source=BookingEvent.Source.CLOSURE,
                reason=reason,
                now=now,
            )
        )
    if offers:
        closure_reschedule_offered.send(
            sender=Closure, closure=closure, offers=offers, now=now
        )
    return result


def nearest_free_times(booking: Booking, *, now: datetime) -> list[dict]:
    """Up to SUGGESTED_TIMES bookable starts for the booking's service nearest
    its time (the closed slots are already hidden), earliest first."""
    bookable = availability_bookable(service_id=booking.service_id, now=now)
    start = booking.availability.start_time
    rows = ("start_time", "staff__name")
    after = list(
        bookable.filter(start_time__gte=start).values_list(*rows)[:SUGGESTED_TIMES]
    )
    before = list(
        bookable.filter(start_time__lt=start)
        .order_by("-start_time")
        .values_list(*rows)[:SUGGESTED_TIMES]
    )
    nearest = sorted(after + before, key=lambda row: abs(row[0] - start))
    return [
        {"start_time": when, "staff_name": name}
        for when, name in sorted(nearest[:SUGGESTED_TIMES])
    ]
