from rest_framework.routers import DefaultRouter

from apps.privacy.views import ErasureViewSet, ExportViewSet, GuestRequestViewSet

router = DefaultRouter()
router.register("privacy/erasures", ErasureViewSet, basename="privacy-erasure")
router.register("privacy/export", ExportViewSet, basename="privacy-export")
router.register("privacy/requests", GuestRequestViewSet, basename="privacy-request")
