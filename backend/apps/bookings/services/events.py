"""The one place booking events are recorded, and announced to listeners."""

from datetime import datetime

from apps.bookings.models import Booking, BookingEvent
from apps.bookings.signals import booking_events_recorded
from common.bulk import bulk_insert


def _actor_or_none(actor):
    return actor if actor is not None and actor.is_authenticated else None


def record_event(
    booking: Booking,
    *,
    kind: str,
    from_status: str,
    actor,
    source: str,
    now: datetime,
    note: str = "",
    data: dict | None = None,
    notify_guest: bool = True,
) -> BookingEvent:
    """Write one audit event for a change of `booking` and announce it.

    Call inside the change's transaction, after the booking row is saved.
    """
    event = BookingEvent.objects.create(
        booking=booking,
        kind=kind,
        from_status=from_status,
        to_status=booking.status,
        actor=_actor_or_none(actor),
        source=source,
        note=note,
        data=data or {},
        created_at=now,
    )
    booking_events_recorded.send(
        sender=BookingEvent, events=[event], notify_guest=notify_guest
    )
    return event


def record_events(
    events: list[BookingEvent], *, notify_guest: bool = True
) -> list[BookingEvent]:
    """Write many events in one insert (an expiry batch) and announce them once.

    The events' bookings are not loaded here: a listener that reads them
    loads them for the whole batch in one query
    (`selectors.events_load_bookings`), and one that needs less (the
    waiting list: when the freed slots start) asks for just that. So a batch
    whose guests are not told pays for no booking model. The rows go in as
    one JSON document (`bulk_insert`): bulk_create's per-value preparation
    and quoting cost more than the insert.
    """
    created = bulk_insert(events)
    booking_events_recorded.send(
        sender=BookingEvent, events=created, notify_guest=notify_guest
    )
    return created
