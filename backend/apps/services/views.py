from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from apps.bookings.selectors import service_list
from apps.services.serializers import PublicServiceSerializer, ServiceSerializer
from common.api import IsStaffOrReadOnly, is_staff_request
from common.schema import STAFF_WRITE_ERRORS


@extend_schema_view(
    list=extend_schema(
        description="Active services for guests; staff also see inactive ones "
        "and may filter by `is_active`."
    ),
    create=extend_schema(responses={201: ServiceSerializer, **STAFF_WRITE_ERRORS}),
    update=extend_schema(responses={200: ServiceSerializer, **STAFF_WRITE_ERRORS}),
    partial_update=extend_schema(
        responses={200: ServiceSerializer, **STAFF_WRITE_ERRORS}
    ),
    destroy=extend_schema(responses={204: None, **STAFF_WRITE_ERRORS}),
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
