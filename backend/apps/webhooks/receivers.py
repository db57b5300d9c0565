"""What each booking change and unmatched bank credit tells the webhooks.

Both signals are sent inside the change's transaction, so the messages
written here commit or roll back with it. Connected in
`WebhooksConfig.ready()`; bookings and payments never import this app.
"""

from functools import cache, partial

from django.dispatch import receiver

from apps.bookings.models import BookingEvent
from apps.bookings.selectors import events_load_bookings
from apps.bookings.signals import booking_events_recorded
from apps.payments.signals import bank_transaction_unmatched
from apps.webhooks import outbox, payloads
from apps.webhooks.models import EventType

Kind = BookingEvent.Kind

EVENT_TYPES = {
    Kind.CREATED: EventType.BOOKING_CREATED,
    Kind.PAYMENT_VERIFIED: EventType.BOOKING_CONFIRMED,
    Kind.CANCELLED: EventType.BOOKING_CANCELLED,
    Kind.EXPIRED: EventType.BOOKING_EXPIRED,
    Kind.COMPLETED: EventType.BOOKING_COMPLETED,
    Kind.RESCHEDULED: EventType.BOOKING_RESCHEDULED,
}


def _booking_data(event: BookingEvent, load, include_contact: bool) -> dict:
    load()
    return payloads.booking_data(event, include_contact=include_contact)


@receiver(booking_events_recorded, dispatch_uid="webhooks.queue_booking_events")
def queue_booking_webhooks(sender, *, events, **kwargs):
    # The bookings are read only for a message an endpoint subscribes to,
    # then for the whole announcement at once.
    load = cache(partial(events_load_bookings, events))
    outbox.queue(
        outbox.Occurrence(
            event_type=EVENT_TYPES[event.kind],
            timestamp=event.created_at,
            data=partial(_booking_data, event, load),
            booking_id=event.booking_id,
        )
        for event in events
        if event.kind in EVENT_TYPES
    )


def _payment_data(transaction, include_contact: bool) -> dict:
    return payloads.unmatched_payment_data(transaction, include_contact=include_contact)


@receiver(bank_transaction_unmatched, dispatch_uid="webhooks.queue_unmatched")
def queue_unmatched_payment_webhooks(sender, *, transaction, **kwargs):
    outbox.queue(
        [
            outbox.Occurrence(
                event_type=EventType.PAYMENT_UNMATCHED,
                timestamp=transaction.created_at,
                data=partial(_payment_data, transaction),
                bank_transaction_id=transaction.pk,
            )
        ]
    )
