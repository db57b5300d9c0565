"""Read-only queries of webhook endpoints and deliveries."""

from django.db.models import Prefetch, QuerySet

from apps.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


def webhook_endpoint_list() -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.all()


def webhook_delivery_list() -> QuerySet[WebhookDelivery]:
    """Deliveries, newest first, with their endpoint, booking and attempt log."""
    return WebhookDelivery.objects.select_related(
        "endpoint", "booking"
    ).prefetch_related(
        Prefetch(
            "attempt_log",
            queryset=WebhookAttempt.objects.order_by("attempted_at", "id"),
        )
    )
