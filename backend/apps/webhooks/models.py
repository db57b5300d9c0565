import secrets
import uuid
from base64 import b64encode

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def generate_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def generate_message_id() -> str:
    """The `webhook-id` of a message: the same for every attempt to send it."""
    return f"msg_{uuid.uuid4().hex}"


class EventType(models.TextChoices):
    BOOKING_CREATED = "booking.created", _("Booking created")
    BOOKING_CONFIRMED = "booking.confirmed", _("Booking confirmed (payment verified)")
    BOOKING_CANCELLED = "booking.cancelled", _("Booking cancelled")
    BOOKING_EXPIRED = "booking.expired", _("Booking expired unpaid")
    BOOKING_COMPLETED = "booking.completed", _("Booking completed")
    BOOKING_RESCHEDULED = "booking.rescheduled", _("Booking rescheduled")
    PAYMENT_UNMATCHED = "payment.unmatched", _("Bank payment matched no booking")


# Sent by "send a test event" whatever the endpoint subscribed to.
TEST_EVENT_TYPE = "webhook.test"


class WebhookEndpoint(models.Model):
    """A URL of the business's own systems that hears of booking events.

    The secret signs every message (Standard Webhooks). It is kept as is,
    because the server must be able to sign with it, and is shown only when
    created or rotated; during a rotation the previous secret still signs
    too, until `previous_secret_expires_at`.
    """

    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    # A list of EventType values.
    events = models.JSONField(default=list)
    # Guests' names, emails and phones go in `data` only when this is on.
    include_contact = models.BooleanField(default=False)
    enabled = models.BooleanField(default=True)
    secret = models.CharField(max_length=100, default=generate_secret, editable=False)
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(
        null=True, blank=True, editable=False
    )
    # Since when every attempt failed (None after a success): three days of
    # it disable the endpoint.
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_reason = models.CharField(max_length=300, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        permissions = [
            ("rotate_webhook_secret", "Can rotate the secret of a webhook endpoint"),
            ("send_webhook_test", "Can send a test event to a webhook endpoint"),
        ]

    def __str__(self):
        return self.url

    def signing_secrets(self, now) -> list[str]:
        """The secrets a message is signed with now: the current one, and the
        previous one while a rotation lasts."""
        secrets_now = [self.secret]
        if (
            self.previous_secret
            and self.previous_secret_expires_at
            and self.previous_secret_expires_at > now
        ):
            secrets_now.append(self.previous_secret)
        return secrets_now


class WebhookDelivery(models.Model):
    """One message to one endpoint, written in the transaction of the change.

    The body is stored as the exact bytes sent, so every attempt signs and
    sends the same message under the same `message_id` (`webhook-id`), with
    a fresh `webhook-timestamp`. Delivered by `send_webhooks`.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        DELIVERED = "delivered", _("Delivered")
        # Gave up: three days of failures, a 410, or the URL refused.
        FAILED = "failed", _("Failed")

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_type = models.CharField(max_length=40)
    message_id = models.CharField(
        max_length=40, unique=True, default=generate_message_id
    )
    body = models.TextField()
    # What the message is about, for the admin's search and for erasing a
    # guest's data from stored messages (see services.webhook_deliveries_redact).
    booking = models.ForeignKey(
        "bookings.Booking",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="webhook_deliveries",
    )
    bank_transaction = models.ForeignKey(
        "payments.BankTransaction",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="webhook_deliveries",
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # Retries stop after this (three days after queueing, or a send-again).
    retry_until = models.DateTimeField()
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            # The sender's query: queued rows by due time.
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=models.Q(status="queued"),
                name="webhookdelivery_due_idx",
            ),
        ]
        permissions = [
            ("resend_webhookdelivery", "Can send a webhook delivery again"),
        ]

    def __str__(self):
        return f"{self.event_type} to {self.endpoint_id} ({self.status})"


class WebhookAttempt(models.Model):
    """One try at sending a delivery, as the receiver answered it."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    attempted_at = models.DateTimeField()
    # None when no HTTP answer came (refused, timed out, URL not allowed).
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField()
    # The first kilobyte of the answer's body.
    response_excerpt = models.TextField(blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["attempted_at", "id"]

    def __str__(self):
        return f"{self.delivery_id} at {self.attempted_at}: {self.status_code}"
