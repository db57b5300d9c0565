import json

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.webhooks.models import (
    EventType,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from common.fields import JsonBooleanField

ENDPOINT_FIELDS = [
    "id",
    "url",
    "description",
    "events",
    "include_contact",
    "enabled",
    "disabled_at",
    "disabled_reason",
    "failing_since",
    "previous_secret_expires_at",
    "created_at",
    "updated_at",
]


class EventTypesField(serializers.ListField):
    child = serializers.ChoiceField(choices=EventType.choices)


class WebhookEndpointSerializer(serializers.ModelSerializer):
    """An endpoint as listed and read: never its secret."""

    events = EventTypesField(read_only=True)

    class Meta:
        model = WebhookEndpoint
        fields = ENDPOINT_FIELDS
        read_only_fields = fields


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    """An endpoint just created or rotated: the one time its secret is shown."""

    secret = serializers.CharField(
        read_only=True,
        help_text="The signing secret (`whsec_...`). Shown only now: store it "
        "in the receiver.",
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*ENDPOINT_FIELDS, "secret"]
        read_only_fields = fields


class WebhookEndpointWriteSerializer(serializers.Serializer):
    url = serializers.CharField(
        max_length=2000,
        help_text="Where messages are POSTed: https (in production), on a "
        "public address.",
    )
    events = EventTypesField(
        min_length=1, help_text="The event types this endpoint receives."
    )
    description = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    include_contact = JsonBooleanField(
        required=False,
        default=False,
        help_text="Send guests' names, emails and phones in `data.guest`.",
    )
    enabled = JsonBooleanField(required=False, default=True)


class WebhookEndpointUpdateSerializer(WebhookEndpointWriteSerializer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
            field.default = serializers.empty


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = [
            "attempted_at",
            "status_code",
            "duration_ms",
            "response_excerpt",
            "error",
        ]
        read_only_fields = fields


class WebhookDeliverySerializer(serializers.ModelSerializer):
    booking = serializers.SlugRelatedField(
        slug_field="reference", read_only=True, allow_null=True
    )
    payload = serializers.SerializerMethodField(
        help_text="The message's body as sent: `{type, timestamp, data}`."
    )
    attempt_log = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "endpoint",
            "event_type",
            "message_id",
            "status",
            "attempts",
            "next_attempt_at",
            "retry_until",
            "last_status_code",
            "last_error",
            "booking",
            "bank_transaction",
            "created_at",
            "delivered_at",
            "payload",
            "attempt_log",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_payload(self, delivery) -> dict:
        return json.loads(delivery.body)
