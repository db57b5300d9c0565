"""Read-only queries of the business calendar."""

from datetime import date, datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.schedules.models import Closure, WorkingHours
from common.dates import local_day_bounds


def working_hours_list() -> QuerySet[WorkingHours]:
    return WorkingHours.objects.select_related("staff")


def closure_list() -> QuerySet[Closure]:
    return Closure.objects.select_related("staff")


def closures_between(
    *, start: datetime, end: datetime, staff_id: int | None = None
) -> QuerySet[Closure]:
    """Closures overlapping [start, end): the business's, and with `staff_id`
    that staff member's own."""
    who = Q(staff__isnull=True)
    if staff_id is not None:
        who |= Q(staff_id=staff_id)
    return (
        closure_list()
        .filter(who, starts_at__lt=end, ends_at__gt=start)
        .order_by("starts_at", "pk")
    )


def closed_days(
    *, first_day: date, last_day: date, staff_id: int | None = None
) -> list[dict]:
    """The calendar days (business timezone) from first_day to last_day that
    a closure touches, one entry per day and closure: for the guest page,
    which shows a day closed all day as closed, with its public note."""
    range_start, _ = local_day_bounds(first_day)
    _, range_end = local_day_bounds(last_day)
    days = []
    for closure in closures_between(
        start=range_start, end=range_end, staff_id=staff_id
    ):
        day = max(first_day, timezone.localdate(closure.starts_at))
        while day <= last_day:
            day_start, day_end = local_day_bounds(day)
            if closure.ends_at <= day_start:
                break
            days.append(
                {
                    "date": day,
                    "all_day": closure.starts_at <= day_start
                    and closure.ends_at >= day_end,
                    "kind": closure.kind,
                    "staff": closure.staff_id,
                    "public_note": closure.public_note,
                }
            )
            day += timedelta(days=1)
    return sorted(days, key=lambda entry: (entry["date"], entry["staff"] or 0))


def closures_of_day(day: date) -> list[Closure]:
    """Every closure and absence touching a calendar day (the desk's list)."""
    start, end = local_day_bounds(day)
    return list(
        closure_list()
        .filter(starts_at__lt=end, ends_at__gt=start)
        .order_by("staff__name", "starts_at", "pk")
    )
