from rest_framework.routers import DefaultRouter

from apps.schedules.views import ClosureViewSet, WorkingHoursViewSet

router = DefaultRouter()
router.register("working-hours", WorkingHoursViewSet, basename="workinghours")
router.register("closures", ClosureViewSet, basename="closure")
