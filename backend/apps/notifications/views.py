"""The private calendar feed of a staff member, for calendar apps to subscribe to."""

from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from apps.notifications import calendars, selectors
from common.api import not_found


@require_GET
def staff_calendar_feed(request, staff_id: int):
    """`GET /api/staff/{id}/calendar.ics?token=...`: that staff member's bookings.

    The token in the URL is the only credential (calendar apps send no
    other). A wrong or missing token answers exactly as an unknown id does.
    """
    feed = selectors.staff_calendar_feed_get(
        staff_id=staff_id, token=request.GET.get("token", "")
    )
    if feed is None:
        return not_found(request)
    now = timezone.now()
    bookings = selectors.staff_calendar_bookings(staff_id=staff_id, now=now)
    response = HttpResponse(
        calendars.staff_feed(feed.staff, bookings, now=now),
        content_type="text/calendar; charset=utf-8",
    )
    response["Cache-Control"] = "private, max-age=300"
    response["Content-Disposition"] = f'inline; filename="staff-{staff_id}.ics"'
    return response
