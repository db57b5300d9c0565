"""Writing webhook messages: one row per endpoint and event, in the
transaction of the change that caused it.

Called by the receivers inside the booking's (or bank import's) own
transaction, so a committed change always has its messages and a rolled-back
one never; nothing here talks to the network. The cost on a booking is one
SELECT of the enabled endpoints and, when one subscribes, one INSERT.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from apps.webhooks import payloads
from apps.webhooks.models import WebhookDelivery, WebhookEndpoint


@dataclass(frozen=True)
class Occurrence:
    """Something that happened, ready to be told to each subscribed endpoint.

    `data(include_contact)` builds the message's `data` for an endpoint.
    """

    event_type: str
    timestamp: datetime
    data: Callable[[bool], dict]
    booking_id: int | None = None
    bank_transaction_id: int | None = None


def retry_window() -> timedelta:
    return timedelta(hours=settings.BOOKING_WEBHOOK_RETRY_HOURS)


def build_delivery(
    endpoint: WebhookEndpoint, occurrence: Occurrence, *, now: datetime
) -> WebhookDelivery:
    return WebhookDelivery(
        endpoint=endpoint,
        event_type=occurrence.event_type,
        body=payloads.envelope(
            occurrence.event_type,
            timestamp=occurrence.timestamp,
            data=occurrence.data(endpoint.include_contact),
        ),
        booking_id=occurrence.booking_id,
        bank_transaction_id=occurrence.bank_transaction_id,
        next_attempt_at=now,
        retry_until=now + retry_window(),
        created_at=now,
    )


def queue(occurrences: Iterable[Occurrence]) -> list[WebhookDelivery]:
    """Write a message for every enabled endpoint subscribed to each
    occurrence's type; call inside the causing transaction."""
    occurrences = list(occurrences)
    if not occurrences:
        return []
    endpoints = list(
        WebhookEndpoint.objects.filter(enabled=True).only(
            "pk", "events", "include_contact"
        )
    )
    deliveries = [
        build_delivery(endpoint, occurrence, now=occurrence.timestamp)
        for occurrence in occurrences
        for endpoint in endpoints
        if occurrence.event_type in endpoint.events
    ]
    if not deliveries:
        return []
    return WebhookDelivery.objects.bulk_create(deliveries)
