from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.response import Response

from apps.business import selectors, services
from apps.business.serializers import BusinessSettingsSerializer
from common.exceptions import LockTimeout, raises


@extend_schema_view(
    retrieve=extend_schema(
        summary="The business's settings",
        description="Any staff role. Until a Manager first saves them, the "
        "values come from the environment (the first-run defaults).",
    ),
    partial_update=extend_schema(
        summary="Change the business's settings (Manager)",
        description="Manager only. IBAN and BIC are validated (400 with field "
        "errors). The next booking's payment instructions and EPC QR code "
        "carry the new account, without a restart.",
    ),
)
class BusinessSettingsViewSet(viewsets.GenericViewSet):
    """The one settings object: GET and PATCH at /api/business-settings/."""

    serializer_class = BusinessSettingsSerializer
    pagination_class = None
    filter_backends = []
    action_permissions = {
        "retrieve": ("business.view_businesssettings",),
        "partial_update": ("business.change_businesssettings",),
    }

    def retrieve(self, request):
        return Response(self.get_serializer(selectors.business_settings_row()).data)

    @raises(LockTimeout)
    def partial_update(self, request):
        serializer = self.get_serializer(
            selectors.business_settings_row(), data=request.data, partial=True
        )
        serializer.is_valid(raise_exception=True)
        row = services.business_settings_update(
            changes=serializer.validated_data, actor=request.user
        )
        return Response(self.get_serializer(row).data)
