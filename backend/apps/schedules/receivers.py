"""What the business calendar does when other apps announce something.

- `slots_written` (availability): a slot staff make or move inside a
  closure is hidden in the same transaction.
- `desk_panels` (bookings' desk): today's closures and absences.

Connected in `SchedulesConfig.ready()`.
"""

from django.db.models import Max, Min
from django.dispatch import receiver
from django.utils import timezone

from apps.availability.models import Availability
from apps.availability.services import availabilities_set_closed
from apps.availability.signals import slots_written
from apps.bookings.signals import desk_panels
from apps.schedules.models import MINUTES_PER_DAY, Closure, clock
from apps.schedules.selectors import closures_of_day


@receiver(slots_written, dispatch_uid="schedules.close_covered_slots")
def close_covered_slots(sender, *, slot_ids, **kwargs):
    slots = Availability.objects.filter(pk__in=slot_ids)
    span = slots.aggregate(start=Min("start_time"), end=Max("end_time"))
    if span["start"] is None:
        return
    closures = list(
        Closure.objects.filter(
            starts_at__lt=span["end"], ends_at__gt=span["start"]
        ).values_list("staff_id", "starts_at", "ends_at")
    )
    covered = [
        pk
        for pk, staff_id, start, end in slots.values_list(
            "pk", "staff_id", "start_time", "end_time"
        )
        if any(
            (who is None or who == staff_id) and start < c_end and c_start < end
            for who, c_start, c_end in closures
        )
    ]
    availabilities_set_closed(covered, closed=True)


@receiver(desk_panels, dispatch_uid="schedules.desk_closures")
def desk_closures_today(sender, *, day, **kwargs):
    """The desk's list of who is away today, and whether the business is."""
    rows = []
    for closure in closures_of_day(day):
        first = _minute_of(closure.starts_at, day)
        last = _minute_of(closure.ends_at, day)
        hours = (
            "all day"
            if (first, last) == (0, MINUTES_PER_DAY)
            else f"{clock(first)}-{clock(last)}"
        )
        who = closure.staff.name if closure.staff_id else "Whole business"
        note = f": {closure.public_note}" if closure.public_note else ""
        rows.append(f"{who}, {hours} ({closure.get_kind_display()}){note}")
    return {
        "id": "desk-absences",
        "title": "Closures and absences today",
        "rows": rows,
        "empty": "Everyone is in today.",
    }


def _minute_of(moment, day) -> int:
    """Minutes into `day` (business timezone) of a moment, clamped to it."""
    local = timezone.localtime(moment)
    if local.date() < day:
        return 0
    if local.date() > day:
        return MINUTES_PER_DAY
    return local.hour * 60 + local.minute
