"""What the waiting list hears: booking changes that free slots, and the desk.

- `booking_events_recorded`: a cancellation, an expiry or a move away frees
  a slot; once the change commits, the entries that could use its day are
  offered free times at once (the same sweep the scheduled job runs every
  minute, which also covers slots that free any other way: new working
  hours, a closure lifted). Nothing is written in the booking's own
  transaction, so a booking change never waits for the waiting list.
- `slots_written` (availability): slots staff made or moved by hand; their
  days are offered the same way once the write commits.
- `desk_panels`: today's open entries on the Desk.

Connected in `WaitlistConfig.ready()`.
"""

import logging
from functools import partial

from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.availability.models import Availability
from apps.availability.signals import slots_written
from apps.bookings.models import BookingEvent
from apps.bookings.selectors import booking_slot_days
from apps.bookings.signals import booking_events_recorded, desk_panels
from apps.waitlist.selectors import waitlist_entries_for_day

logger = logging.getLogger(__name__)

Kind = BookingEvent.Kind
_FREEING = {Kind.CANCELLED, Kind.EXPIRED, Kind.RESCHEDULED}
_BOOKING = BookingEvent._meta.get_field("booking")


@receiver(booking_events_recorded, dispatch_uid="waitlist.slots_freed")
def offer_freed_slots(sender, *, events, **kwargs):
    days = set()
    unloaded = []
    for event in events:
        if event.kind not in _FREEING:
            continue
        if event.kind == Kind.RESCHEDULED:
            before = (event.data or {}).get("from_start_time")
            if before:
                days.add(timezone.localdate(_parse(before)))
            continue
        if not _BOOKING.is_cached(event):
            # A batch (an expiry) announces its events without their
            # bookings: their slots' starts are asked for at once, below.
            unloaded.append(event.booking_id)
            continue
        slot = event.booking.availability
        if slot is not None:
            days.add(timezone.localdate(slot.start_time))
    if unloaded:
        days.update(booking_slot_days(unloaded))
    if days:
        transaction.on_commit(partial(_offer, days), robust=True)


@receiver(slots_written, dispatch_uid="waitlist.slots_written")
def offer_written_slots(sender, *, slot_ids, **kwargs):
    days = {
        timezone.localdate(start)
        for start in Availability.objects.filter(pk__in=slot_ids).values_list(
            "start_time", flat=True
        )
    }
    if days:
        transaction.on_commit(partial(_offer, days), robust=True)


def _parse(value: str):
    return parse_datetime(value)


def _offer(days: set) -> None:
    from apps.waitlist.services import waitlist_offer_due

    result = waitlist_offer_due(days=days)
    if result.offered:
        logger.info("waiting list: %s", result.summary())


@receiver(desk_panels, dispatch_uid="waitlist.desk_entries")
def desk_waiting_today(sender, *, day, **kwargs):
    """The desk's list of who waits for a time today, first come first served."""
    rows = []
    for entry in waitlist_entries_for_day(day)[:50]:
        who = entry.staff.name if entry.staff_id else "anyone"
        start = f"{entry.time_from:%H:%M}" if entry.time_from else ""
        end = f"{entry.time_to:%H:%M}" if entry.time_to else ""
        window = f", {start}-{end}" if start or end else ""
        rows.append(
            f"{entry.service.name} with {who}{window}: {entry.name} "
            f"({entry.get_status_display().lower()})"
        )
    return {
        "id": "desk-waitlist",
        "title": "Waiting list for today",
        "rows": rows,
        "empty": "Nobody is waiting for a time today.",
    }
