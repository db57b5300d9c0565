from django.urls import path

from apps.notifications.views import staff_calendar_feed

urlpatterns = [
    path(
        "api/staff/<int:staff_id>/calendar.ics",
        staff_calendar_feed,
        name="staff-calendar-feed",
    ),
]
