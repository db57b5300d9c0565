"""Disabling an endpoint that stopped taking messages, and telling the managers.

The email is queued in the notifications outbox in the same transaction as
the change (notifications' public service for staff alerts), so it leaves
with the next `send_notifications`; it is written once, by whichever sender
disabled the endpoint.
"""

from datetime import datetime

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from apps.notifications.services import staff_alert_queue
from apps.staff.selectors import manager_languages
from apps.webhooks.models import WebhookEndpoint


def endpoint_disable(endpoint: WebhookEndpoint, *, reason: str, now: datetime) -> bool:
    """Disable `endpoint` (if still enabled) and queue the managers' email.

    Call inside a transaction. True when this call disabled it.
    """
    disabled = WebhookEndpoint.objects.filter(pk=endpoint.pk, enabled=True).update(
        enabled=False, disabled_at=now, disabled_reason=reason[:300]
    )
    if not disabled:
        return False
    endpoint.enabled, endpoint.disabled_at = False, now
    endpoint.disabled_reason = reason[:300]
    # Each manager reads it in their own language; without a manager, the
    # business's address in the business's.
    languages = manager_languages() or (
        {settings.BOOKING_NOTIFY_EMAIL: settings.LANGUAGE_CODE}
        if settings.BOOKING_NOTIFY_EMAIL
        else {}
    )
    context = {
        "endpoint": endpoint,
        "reason": reason,
        "admin_path": reverse(
            "admin:webhooks_webhookendpoint_change", args=[endpoint.pk]
        ),
    }
    for language in sorted(set(languages.values())):
        with translation.override(language):
            subject = render_to_string(
                "webhooks/email/endpoint_disabled_subject.txt", context
            )
            body_text = render_to_string(
                "webhooks/email/endpoint_disabled.txt", context
            )
        staff_alert_queue(
            subject=" ".join(subject.split()),
            body_text=body_text,
            recipients=sorted(
                email for email, chosen in languages.items() if chosen == language
            ),
            now=now,
        )
    return True
