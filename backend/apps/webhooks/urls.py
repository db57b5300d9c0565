from rest_framework.routers import DefaultRouter

from apps.webhooks.views import WebhookDeliveryViewSet, WebhookEndpointViewSet

router = DefaultRouter()
# Deliveries first: `webhooks/deliveries/` is not an endpoint's id.
router.register(
    "webhooks/deliveries", WebhookDeliveryViewSet, basename="webhook-delivery"
)
router.register("webhooks", WebhookEndpointViewSet, basename="webhook-endpoint")
