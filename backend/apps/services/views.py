from drf_spectacular.utils import extend_schema_view
from rest_framework import viewsets

from apps.services.selectors import service_list
from apps.services.serializers import PublicServiceSerializer, ServiceSerializer
from common.permissions import has_staff_permission, model_permissions
from common.schema import audience_schemas


@extend_schema_view(
    **audience_schemas(
        staff=ServiceSerializer,
        public=PublicServiceSerializer,
        name="ServiceForAudience",
        list_description="Active services for guests; staff also see inactive "
        "ones and may filter by `is_active`.",
    )
)
class ServiceViewSet(viewsets.ModelViewSet):
    """Services guests can book; staff manage them."""

    action_permissions = model_permissions("services", "service")
    filterset_fields = ["is_active"]
    ordering_fields = ["name", "price", "duration_minutes", "created_at"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return service_list(
            include_inactive=has_staff_permission(self.request, "services.view_service")
        )

    def get_serializer_class(self):
        if has_staff_permission(self.request, "services.view_service"):
            return ServiceSerializer
        return PublicServiceSerializer
