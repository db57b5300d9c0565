from drf_spectacular.utils import extend_schema_view
from rest_framework import viewsets

from apps.staff.selectors import staff_list
from apps.staff.serializers import PublicStaffSerializer, StaffSerializer
from common.permissions import has_staff_permission, model_permissions
from common.schema import audience_schemas


@extend_schema_view(
    **audience_schemas(
        staff=StaffSerializer,
        public=PublicStaffSerializer,
        name="StaffForAudience",
        list_description="Active staff with public fields for guests; staff see "
        "everyone with contact details and may filter by `is_active`.",
    )
)
class StaffViewSet(viewsets.ModelViewSet):
    """The people who perform services."""

    schema_nouns = ("staff member", "staff members")

    action_permissions = model_permissions("staff", "staff")
    filterset_fields = ["is_active"]
    ordering_fields = ["name", "created_at"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return staff_list(
            include_inactive=has_staff_permission(self.request, "staff.view_staff")
        )

    def get_serializer_class(self):
        if has_staff_permission(self.request, "staff.view_staff"):
            return StaffSerializer
        return PublicStaffSerializer
