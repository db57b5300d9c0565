"""Messages sent to the business's own systems (with contact when opted in)."""

import json

from django.db.models import Q

from apps.payments.models import BankTransaction
from apps.privacy.registry import Shredder, Target
from apps.webhooks.models import WebhookDelivery
from apps.webhooks.services import webhook_deliveries_redact


def _bank_transaction_ids(target: Target) -> list[int]:
    ids = target.booking_ids
    return list(
        BankTransaction.objects.filter(
            Q(booking_id__in=ids)
            | Q(suggested_booking_id__in=ids)
            | Q(rebooked_booking_id__in=ids)
        ).values_list("pk", flat=True)
    )


class WebhookShredder(Shredder):
    name = "webhook_deliveries"
    verbose_name = "Webhook messages and the receivers' logged answers"
    fields = (
        "webhooks.WebhookDelivery.body",
        "webhooks.WebhookAttempt.response_excerpt",
    )

    def export(self, target: Target) -> list[dict]:
        rows = WebhookDelivery.objects.filter(
            Q(booking_id__in=target.booking_ids)
            | Q(bank_transaction_id__in=_bank_transaction_ids(target))
        ).order_by("created_at", "pk")
        return [
            {
                "event_type": row.event_type,
                "status": row.status,
                "created_at": row.created_at.isoformat(),
                "body": json.loads(row.body),
            }
            for row in rows
        ]

    def shred(self, target: Target, *, now) -> int:
        # webhooks' own hook: `guest` and `payer` values become "[erased]".
        return webhook_deliveries_redact(
            booking_ids=target.booking_ids,
            bank_transaction_ids=_bank_transaction_ids(target),
        )
