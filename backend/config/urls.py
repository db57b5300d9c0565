from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework import routers

from apps.availability.views import AvailabilityViewSet
from apps.bookings.urls import router as bookings_router
from apps.payments.urls import router as payments_router
from apps.services.views import ServiceViewSet
from apps.staff.views import StaffViewSet
from common.health import health


class APIRootView(routers.APIRootView):
    """The API's index, open to everyone: each endpoint says who may call it."""

    action_permissions = {}  # no actions: common.permissions lets it answer


router = routers.DefaultRouter()
router.APIRootView = APIRootView
router.register("services", ServiceViewSet, basename="service")
router.register("staff", StaffViewSet, basename="staff")
router.register("availability", AvailabilityViewSet, basename="availability")
router.registry.extend(bookings_router.registry)
router.registry.extend(payments_router.registry)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/health/", health, name="health"),
    path("", include("apps.notifications.urls")),
    path("api/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("api-auth/", include("rest_framework.urls")),
]

handler400 = "common.api.bad_request"
handler404 = "common.api.not_found"
handler500 = "common.api.server_error"
