"""Every write of the webhooks app: endpoints, test events, send again, the
retention purge and erasure. Messages of booking changes are written by
`receivers` (through `outbox`), and sent by `sending`.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.webhooks import addresses, exceptions, outbox, payloads
from apps.webhooks.models import (
    TEST_EVENT_TYPE,
    EventType,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    generate_secret,
)
from apps.webhooks.sending import SendResult, backoff, webhooks_send_due

Status = WebhookDelivery.Status
ENDPOINT_FIELDS = ("url", "description", "events", "include_contact", "enabled")


def _checked_events(events: Iterable[str]) -> list[str]:
    events = list(dict.fromkeys(events))
    unknown = sorted(set(events) - set(EventType.values))
    if unknown or not events:
        raise exceptions.WebhooksError(
            f"Unknown event types: {', '.join(unknown)}."
            if unknown
            else "Choose at least one event type.",
            field="events",
        )
    return events


def webhook_endpoint_create(
    *,
    url: str,
    events: Iterable[str],
    description: str = "",
    include_contact: bool = False,
    enabled: bool = True,
    now: datetime | None = None,
) -> WebhookEndpoint:
    """A new endpoint with a new secret; the URL is checked (addresses)."""
    addresses.check_url(url)
    return WebhookEndpoint.objects.create(
        url=url.strip(),
        events=_checked_events(events),
        description=description,
        include_contact=include_contact,
        enabled=enabled,
        created_at=now or timezone.now(),
    )


def webhook_endpoint_update(*, endpoint: WebhookEndpoint, **changes) -> WebhookEndpoint:
    """Change some of url, description, events, include_contact, enabled.

    A new URL is checked again. Enabling a disabled endpoint clears why it
    was disabled, and its messages still queued go out with the next run.
    """
    unknown = set(changes) - set(ENDPOINT_FIELDS)
    if unknown:
        raise TypeError(f"not endpoint fields: {sorted(unknown)}")
    if "url" in changes:
        addresses.check_url(changes["url"])
        changes["url"] = changes["url"].strip()
    if "events" in changes:
        changes["events"] = _checked_events(changes["events"])
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        if changes.get("enabled") and not endpoint.enabled:
            endpoint.disabled_at, endpoint.disabled_reason = None, ""
            endpoint.failing_since = None
            changes.update(disabled_at=None, disabled_reason="", failing_since=None)
        for field, value in changes.items():
            setattr(endpoint, field, value)
        endpoint.save(update_fields=[*changes, "updated_at"])
    return endpoint


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Delete an endpoint with its messages and their log."""
    endpoint.delete()


def webhook_endpoint_rotate_secret(
    *, endpoint: WebhookEndpoint, now: datetime | None = None
) -> WebhookEndpoint:
    """Give the endpoint a new secret; the old one keeps signing alongside it
    for BOOKING_WEBHOOK_SECRET_OVERLAP_HOURS, so the receiver can switch."""
    now = now or timezone.now()
    overlap = timedelta(hours=settings.BOOKING_WEBHOOK_SECRET_OVERLAP_HOURS)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        endpoint.previous_secret = endpoint.secret if overlap else ""
        endpoint.previous_secret_expires_at = now + overlap if overlap else None
        endpoint.secret = generate_secret()
        endpoint.save(
            update_fields=[
                "secret",
                "previous_secret",
                "previous_secret_expires_at",
                "updated_at",
            ]
        )
    return endpoint


def webhook_endpoint_send_test(
    *, endpoint: WebhookEndpoint, now: datetime | None = None
) -> WebhookDelivery:
    """Queue a `webhook.test` message to the endpoint, whatever it subscribed
    to; the next `send_webhooks` sends it like any other."""
    if not endpoint.enabled:
        raise exceptions.EndpointDisabled()
    now = now or timezone.now()
    delivery = outbox.build_delivery(
        endpoint,
        outbox.Occurrence(
            event_type=TEST_EVENT_TYPE,
            timestamp=now,
            data=lambda include_contact: payloads.ping_data(now=now),
        ),
        now=now,
    )
    delivery.save()
    return delivery


def webhook_delivery_resend(
    *, delivery: WebhookDelivery, now: datetime | None = None
) -> WebhookDelivery:
    """Queue a delivered or failed message again: same body, same
    `webhook-id` (a receiver that has it already can tell), a fresh count of
    attempts and three more days of retries."""
    now = now or timezone.now()
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        if delivery.status == Status.QUEUED:
            raise exceptions.DeliveryStillQueued()
        delivery.status = Status.QUEUED
        delivery.attempts = 0
        delivery.next_attempt_at = now
        delivery.retry_until = now + outbox.retry_window()
        delivery.claim_token = None
        delivery.save(
            update_fields=[
                "status",
                "attempts",
                "next_attempt_at",
                "retry_until",
                "claim_token",
            ]
        )
    return delivery


def webhook_deliveries_prune(*, now: datetime | None = None) -> int:
    """Delete messages (and their log) older than BOOKING_WEBHOOK_RETENTION_DAYS.

    Retries end after three days, so nothing this old is still queued.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.BOOKING_WEBHOOK_RETENTION_DAYS)
    old = WebhookDelivery.objects.filter(created_at__lt=cutoff).exclude(
        status=Status.QUEUED
    )
    WebhookAttempt.objects.filter(delivery__in=old).delete()
    deleted, _ = old.delete()
    return deleted


def webhook_deliveries_redact(
    *,
    booking_ids: Iterable[int] = (),
    bank_transaction_ids: Iterable[int] = (),
) -> int:
    """Erase guests' personal data from stored messages: the hook for
    personal-data erasure (issue 30).

    In the messages about these bookings or bank credits, the `guest` and
    `payer` values become "[erased]", and the receivers' answers kept in the
    log are dropped (a receiver may echo what it was sent). A message still
    queued is sent as redacted. Returns the number of messages changed.
    """
    booking_ids, bank_transaction_ids = list(booking_ids), list(bank_transaction_ids)
    changed = 0
    with transaction.atomic():
        deliveries = list(
            WebhookDelivery.objects.select_for_update().filter(
                Q(booking_id__in=booking_ids)
                | Q(bank_transaction_id__in=bank_transaction_ids)
            )
        )
        for delivery in deliveries:
            redacted = payloads.redact_body(delivery.body)
            if redacted != delivery.body:
                delivery.body = redacted
                delivery.save(update_fields=["body"])
                changed += 1
        WebhookAttempt.objects.filter(
            delivery_id__in=[delivery.pk for delivery in deliveries]
        ).update(response_excerpt="")
    return changed


__all__ = [
    "SendResult",
    "backoff",
    "webhook_deliveries_prune",
    "webhook_deliveries_redact",
    "webhook_delivery_resend",
    "webhook_endpoint_create",
    "webhook_endpoint_delete",
    "webhook_endpoint_rotate_secret",
    "webhook_endpoint_send_test",
    "webhook_endpoint_update",
    "webhooks_send_due",
]
