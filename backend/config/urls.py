from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from apps.availability.views import AvailabilityViewSet
from apps.bookings.urls import router as bookings_router
from apps.exports.urls import router as exports_router
from apps.frontend.views import ApiDocsView, ApiRedocView
from apps.payments.urls import router as payments_router
from apps.privacy.urls import router as privacy_router
from apps.schedules.urls import router as schedules_router
from apps.services.views import ServiceViewSet
from apps.staff.views import StaffViewSet
from apps.waitlist.urls import router as waitlist_router
from apps.webhooks.urls import router as webhooks_router
from common.health import health
from common.routers import ApiRouter

# What the API root shows a guest: everything they may call without a login.
PUBLIC_ENDPOINTS = {
    "services": "service-list",
    "staff": "staff-list",
    "availability": "availability-list",
    "bookings": "booking-list",  # guests may POST (book); listing is staff-only
    "bookings/availability": "booking-availability",
    "bookings/availability/days": "booking-availability-days",
    "bookings/lookup": "booking-lookup",
    "bookings/lookup/cancel": "booking-lookup-cancel",
    "bookings/lookup/reschedule": "booking-lookup-reschedule",
    "closures/days": "closure-days",
    "privacy/requests": "privacy-request-list",
    "privacy/requests/confirm": "privacy-request-confirm",
    "waitlist": "waitlist-list",  # guests may POST (join); listing is staff-only
    "waitlist/leave": "waitlist-leave",
    "waitlist/offers/show": "waitlist-offer-show",
    "waitlist/offers/accept": "waitlist-offer-accept",
    "waitlist/offers/decline": "waitlist-offer-decline",
    "schema": "schema",
    "docs": "docs",
    "redoc": "redoc",
    "health": "health",
}

router = ApiRouter(public_url_names=PUBLIC_ENDPOINTS)
router.register("services", ServiceViewSet, basename="service")
router.register("staff", StaffViewSet, basename="staff")
router.register("availability", AvailabilityViewSet, basename="availability")
router.registry.extend(bookings_router.registry)
router.registry.extend(payments_router.registry)
router.registry.extend(webhooks_router.registry)
router.registry.extend(exports_router.registry)
router.registry.extend(schedules_router.registry)
router.registry.extend(privacy_router.registry)
router.registry.extend(waitlist_router.registry)

urlpatterns = [
    path("", include("apps.frontend.urls")),
    path("admin/", admin.site.urls),
    path("api/health/", health, name="health"),
    path("", include("apps.notifications.urls")),
    path("", include("apps.business.urls")),
    path("api/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", ApiDocsView.as_view(url_name="schema"), name="docs"),
    path("api/redoc/", ApiRedocView.as_view(url_name="schema"), name="redoc"),
    path("api-auth/", include("rest_framework.urls")),
]

handler400 = "common.api.bad_request"
handler404 = "common.api.not_found"
handler500 = "common.api.server_error"
