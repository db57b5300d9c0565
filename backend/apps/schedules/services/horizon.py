"""The rolling horizon: the slots the working hours call for, kept up to date.

`slots_fill_horizon` is the periodic job (`jobs.py`, run by cron and Celery
alike). For each staff member, in one transaction holding the staff row's
lock, it makes the slots their rules call for from now to
BOOKING_SLOT_HORIZON_DAYS ahead, removes the free future slots it made that
no rule makes any more, makes none inside a closure, and sets every future
slot's closed flag from the closures. Run twice, the second run changes
nothing; booked slots and slots made by hand are never touched.
"""

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db.models import Max, Q
from django.utils import timezone

from apps.availability.models import Availability
from apps.availability.services import (
    availabilities_set_closed,
    availabilities_sync_generated,
    lock_staff,
)
from apps.schedules import exceptions
from apps.schedules.models import Closure, WorkingHours
from apps.staff.models import Staff
from common.dates import local_day_bounds
from common.db import write_transaction

MAX_HORIZON_DAYS = 366


@dataclass
class HorizonResult:
    horizon_days: int = 0
    staff: int = 0
    created: int = 0
    removed: int = 0
    closed: int = 0
    reopened: int = 0
    duration_seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"Slot horizon of {self.horizon_days} days for {self.staff} staff: "
            f"created {self.created}, removed {self.removed}, closed "
            f"{self.closed}, reopened {self.reopened} slots "
            f"({self.duration_seconds:.2f}s)."
        )


def check_horizon_days(days: int) -> int:
    if not 1 <= days <= MAX_HORIZON_DAYS:
        raise exceptions.HorizonTooLong()
    return days


def rule_slots(rule: WorkingHours, day: date) -> list[tuple[datetime, datetime]]:
    """The slots `rule` makes on `day`, as instants (a wall-clock grid in
    BOOKING_TIMEZONE; a time the clock skips that night makes no slot)."""
    if day.weekday() != rule.weekday:
        return []
    if (rule.valid_from and day < rule.valid_from) or (
        rule.valid_until and day > rule.valid_until
    ):
        return []
    zone = timezone.get_default_timezone()
    midnight = datetime(day.year, day.month, day.day)
    step = rule.slot_minutes + rule.buffer_minutes
    slots = []
    minute = rule.start_minute
    while minute + rule.slot_minutes <= rule.end_minute:
        start = _instant(midnight + timedelta(minutes=minute), zone)
        end = _instant(midnight + timedelta(minutes=minute + rule.slot_minutes), zone)
        if start is not None and end is not None and end > start:
            slots.append((start, end))
        minute += step
    return slots


def _instant(wall_clock: datetime, zone) -> datetime | None:
    """The instant a wall-clock time names, or None in a daylight-saving gap."""
    aware = wall_clock.replace(tzinfo=zone)
    instant = aware.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != wall_clock:
        return None
    return instant


def slots_fill_horizon(
    *, horizon_days: int | None = None, now: datetime | None = None
) -> HorizonResult:
    """Bring every staff member's generated slots in line with their rules."""
    days = check_horizon_days(
        settings.BOOKING_SLOT_HORIZON_DAYS if horizon_days is None else horizon_days
    )
    now = now or timezone.now()
    started = time.monotonic()
    result = HorizonResult(horizon_days=days)
    # Staff with rules, and staff with generated slots left to remove.
    staff_ids = sorted(
        set(WorkingHours.objects.values_list("staff_id", flat=True))
        | set(
            Availability.objects.filter(
                source=Availability.Source.WORKING_HOURS,
                start_time__gt=now,
                is_booked=False,
            ).values_list("staff_id", flat=True)
        )
    )
    for staff in Staff.objects.filter(pk__in=staff_ids).order_by("pk"):
        created, removed, closed, reopened = _fill_staff(staff, days=days, now=now)
        result.staff += 1
        result.created += created
        result.removed += removed
        result.closed += closed
        result.reopened += reopened
    result.duration_seconds = time.monotonic() - started
    return result


def _fill_staff(staff: Staff, *, days: int, now: datetime) -> tuple[int, int, int, int]:
    with write_transaction():
        # Everything below is read after the lock: a closure or a rule
        # written meanwhile (both lock the staff row) is seen whole or not.
        lock_staff(staff.pk)
        today = timezone.localdate(now)
        horizon_end, _ = local_day_bounds(today + timedelta(days=days))
        # Slots an earlier, longer horizon made stay while a rule makes them;
        # the rules are read up to the last of those days.
        latest = (
            Availability.objects.filter(
                staff=staff, source=Availability.Source.WORKING_HOURS
            ).aggregate(latest=Max("start_time"))["latest"]
            or now
        )
        last_day = max(today + timedelta(days=days - 1), timezone.localdate(latest))
        wanted = []
        if staff.is_active:
            rules = list(WorkingHours.objects.filter(staff=staff))
            day = today
            while day <= last_day:
                for rule in rules:
                    wanted.extend(rule_slots(rule, day))
                day += timedelta(days=1)
        closures = closure_intervals(staff_id=staff.pk, since=now)
        created, removed = availabilities_sync_generated(
            staff=staff,
            wanted=wanted,
            blocked=closures,
            since=now,
            create_until=horizon_end,
        )
        closed, reopened = _sync_closed_flags(staff.pk, closures, now=now)
    return created, removed, closed, reopened


def closure_intervals(*, staff_id: int, since: datetime) -> list[tuple]:
    """(starts_at, ends_at) of the closures that apply to a staff member and
    end after `since`: the business's and their own."""
    return list(
        Closure.objects.filter(ends_at__gt=since)
        .filter(Q(staff__isnull=True) | Q(staff_id=staff_id))
        .values_list("starts_at", "ends_at")
    )


def _sync_closed_flags(staff_id: int, closures, *, now: datetime) -> tuple[int, int]:
    """Close the staff member's future slots a closure covers; open the rest."""
    to_close, to_open = [], []
    for pk, start, end, is_closed in Availability.objects.filter(
        staff_id=staff_id, end_time__gt=now
    ).values_list("pk", "start_time", "end_time", "is_closed"):
        covered = any(start < c_end and c_start < end for c_start, c_end in closures)
        if covered and not is_closed:
            to_close.append(pk)
        elif is_closed and not covered:
            to_open.append(pk)
    return (
        availabilities_set_closed(to_close, closed=True, now=now),
        availabilities_set_closed(to_open, closed=False, now=now),
    )
