from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.webhooks import exceptions as webhooks_errors
from apps.webhooks import selectors, services
from apps.webhooks.serializers import (
    WebhookDeliverySerializer,
    WebhookEndpointSerializer,
    WebhookEndpointUpdateSerializer,
    WebhookEndpointWithSecretSerializer,
    WebhookEndpointWriteSerializer,
)
from common.api import ErrorSerializer
from common.exceptions import raises

VIEW = "webhooks.view_webhookendpoint"


@extend_schema_view(
    list=extend_schema(description="Webhook endpoints; secrets are never listed."),
    retrieve=extend_schema(description="One endpoint, without its secret."),
    create=extend_schema(
        request=WebhookEndpointWriteSerializer,
        responses={201: WebhookEndpointWithSecretSerializer, 400: ErrorSerializer},
        description="Add an endpoint. The answer carries its `secret` "
        "(`whsec_...`), shown this once. The URL must be https in production and "
        "reach a public address (checked after resolving its name).",
    ),
    update=extend_schema(
        request=WebhookEndpointWriteSerializer,
        responses={200: WebhookEndpointSerializer, 400: ErrorSerializer},
    ),
    partial_update=extend_schema(
        request=WebhookEndpointUpdateSerializer,
        responses={200: WebhookEndpointSerializer, 400: ErrorSerializer},
        description="Change some fields; `enabled: true` re-enables a disabled "
        "endpoint and its queued messages go out.",
    ),
    destroy=extend_schema(description="Delete the endpoint and its messages."),
)
class WebhookEndpointViewSet(viewsets.ModelViewSet):
    """Where booking events are POSTed, signed (Standard Webhooks)."""

    schema_nouns = ("webhook endpoint", "webhook endpoints")
    serializer_class = WebhookEndpointSerializer
    action_permissions = {
        "list": VIEW,
        "retrieve": VIEW,
        "create": "webhooks.add_webhookendpoint",
        "update": "webhooks.change_webhookendpoint",
        "partial_update": "webhooks.change_webhookendpoint",
        "destroy": "webhooks.delete_webhookendpoint",
        "rotate_secret": "webhooks.rotate_webhook_secret",
        "test": "webhooks.send_webhook_test",
    }
    filterset_fields = ["enabled"]
    ordering_fields = ["created_at", "url"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return selectors.webhook_endpoint_list()

    @raises(webhooks_errors.WebhookUrlNotAllowed)
    def create(self, request, *args, **kwargs):
        serializer = WebhookEndpointWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_create(**serializer.validated_data)
        return Response(
            WebhookEndpointWithSecretSerializer(endpoint).data,
            status=status.HTTP_201_CREATED,
        )

    @raises(webhooks_errors.WebhookUrlNotAllowed)
    def update(self, request, *args, **kwargs):
        partial = kwargs.get("partial", False)
        serializer_class = (
            WebhookEndpointUpdateSerializer
            if partial
            else WebhookEndpointWriteSerializer
        )
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_update(
            endpoint=self.get_object(), **serializer.validated_data
        )
        return Response(WebhookEndpointSerializer(endpoint).data)

    def perform_destroy(self, instance):
        services.webhook_endpoint_delete(endpoint=instance)

    @extend_schema(
        request=None,
        summary="Rotate a webhook endpoint's secret",
        responses={200: WebhookEndpointWithSecretSerializer},
        description="A new secret, shown this once. For "
        "BOOKING_WEBHOOK_SECRET_OVERLAP_HOURS (24) messages carry a signature "
        "by the old secret too, so the receiver can switch without losing any.",
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        endpoint = services.webhook_endpoint_rotate_secret(endpoint=self.get_object())
        return Response(WebhookEndpointWithSecretSerializer(endpoint).data)

    @extend_schema(
        request=None,
        summary="Send a test event to a webhook endpoint",
        responses={
            202: OpenApiResponse(
                WebhookDeliverySerializer,
                description="Queued; sent by the next `send_webhooks`.",
            ),
            409: ErrorSerializer,
        },
        description="Queue a `webhook.test` message, signed like any other.",
    )
    @action(detail=True, methods=["post"])
    @raises(webhooks_errors.EndpointDisabled)
    def test(self, request, pk=None):
        delivery = services.webhook_endpoint_send_test(endpoint=self.get_object())
        delivery = selectors.webhook_delivery_list().get(pk=delivery.pk)
        return Response(
            WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED
        )


@extend_schema_view(
    list=extend_schema(
        description="Messages to endpoints, newest first, each with every "
        "attempt's answer. Filter by `endpoint`, `status`, `event_type`."
    ),
)
class WebhookDeliveryViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """What was sent to the endpoints, and what they answered."""

    schema_nouns = ("webhook delivery", "webhook deliveries")
    serializer_class = WebhookDeliverySerializer
    action_permissions = {
        "list": "webhooks.view_webhookdelivery",
        "retrieve": "webhooks.view_webhookdelivery",
        "send_again": "webhooks.resend_webhookdelivery",
    }
    filterset_fields = ["endpoint", "status", "event_type"]
    ordering_fields = ["created_at"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return selectors.webhook_delivery_list()

    @extend_schema(
        request=None,
        summary="Send a webhook delivery again",
        responses={
            202: OpenApiResponse(
                WebhookDeliverySerializer,
                description="Queued again; sent by the next `send_webhooks`.",
            ),
            409: ErrorSerializer,
        },
        description="Queue a delivered or failed message again: the same body "
        "and `webhook-id`, a fresh count of attempts. 409 `delivery_queued` if it "
        "is still waiting to be sent.",
    )
    @action(detail=True, methods=["post"], url_path="send-again")
    @raises(webhooks_errors.DeliveryStillQueued)
    def send_again(self, request, pk=None):
        delivery = services.webhook_delivery_resend(delivery=self.get_object())
        delivery = selectors.webhook_delivery_list().get(pk=delivery.pk)
        return Response(
            WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED
        )
