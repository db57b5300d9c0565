"""Read-only queries of the waiting list."""

from datetime import date, datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from apps.waitlist.models import OPEN_STATUSES, WaitlistEntry


def fits_window(entry: WaitlistEntry, start: datetime, duration_minutes: int) -> bool:
    """Whether an appointment starting at `start` keeps to the entry's daily
    window (business timezone): it starts at or after `time_from` and ends
    by `time_to`, on the same day."""
    local_start = timezone.localtime(start)
    local_end = local_start + timedelta(minutes=duration_minutes)
    if entry.time_from is not None and local_start.time() < entry.time_from:
        return False
    return entry.time_to is None or (
        local_end.date() == local_start.date() and local_end.time() <= entry.time_to
    )


def waitlist_open_entries() -> QuerySet[WaitlistEntry]:
    """Entries still waiting or holding an offer, first come first served."""
    return (
        WaitlistEntry.objects.filter(status__in=OPEN_STATUSES)
        .select_related("service", "staff")
        .order_by("created_at", "id")
    )


def waitlist_entries_for_day(day: date) -> QuerySet[WaitlistEntry]:
    """Open entries that would take a time on `day` (the desk's list)."""
    return waitlist_open_entries().filter(date_from__lte=day, date_to__gte=day)


def waitlist_entries_all() -> QuerySet[WaitlistEntry]:
    """Every entry, for staff: oldest first."""
    return WaitlistEntry.objects.select_related("service", "staff").order_by(
        "created_at", "id"
    )
