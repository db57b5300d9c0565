from django.urls import path

from apps.business.views import BusinessSettingsViewSet

urlpatterns = [
    path(
        "api/business-settings/",
        BusinessSettingsViewSet.as_view({"get": "retrieve", "patch": "partial_update"}),
        name="business-settings",
    ),
]
