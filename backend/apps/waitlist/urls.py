from rest_framework.routers import DefaultRouter

from apps.waitlist.views import WaitlistViewSet

router = DefaultRouter()
router.register("waitlist", WaitlistViewSet, basename="waitlist")
