from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from apps.services.selectors import service_list
from apps.services.serializers import PublicServiceSerializer, ServiceSerializer
from common.api import IsStaffOrReadOnly, is_staff_request


@extend_schema_view(
    list=extend_schema(
        description="Active services for guests; staff also see inactive ones "
        "and may filter by `is_active`."
    ),
)
class ServiceViewSet(viewsets.ModelViewSet):
    """Services guests can book; staff manage them."""

    permission_classes = [IsStaffOrReadOnly]
    filterset_fields = ["is_active"]
    ordering_fields = ["name", "price", "duration_minutes", "created_at"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return service_list(include_inactive=is_staff_request(self.request))

    def get_serializer_class(self):
        if is_staff_request(self.request):
            return ServiceSerializer
        return PublicServiceSerializer
