"""Read-only queries of slots: what guests may book, what staff see."""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    QuerySet,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from apps.availability.models import Availability
from common.dates import local_day_bounds


def availability_bookable(
    *,
    service_id: int | None = None,
    staff_id: int | None = None,
    day: date | None = None,
    now: datetime | None = None,
) -> QuerySet[Availability]:
    """Slots a guest can book now: future, free, their staff member active.

    "Future" means after the minimum notice (BOOKING_MIN_NOTICE_MINUTES).

    With a service, only slots of staff who offer it, long enough for it, and
    none at all while the service is inactive. The service is joined in rather
    than read first, so an id that names nothing simply matches no slot.
    """
    now = now or timezone.now()
    earliest = now + timedelta(minutes=settings.BOOKING_MIN_NOTICE_MINUTES)
    slots = Availability.objects.filter(
        is_booked=False, start_time__gt=earliest, staff__is_active=True
    )
    if service_id is not None:
        # One filter() call, so all three conditions are on the same joined
        # service row.
        slots = slots.filter(
            staff__services__id=service_id,
            staff__services__is_active=True,
            end_time__gte=F("start_time")
            + ExpressionWrapper(
                # Typed as a plain integer: SQLite multiplies only those.
                ExpressionWrapper(
                    F("staff__services__duration_minutes"), output_field=IntegerField()
                )
                * timedelta(minutes=1),
                output_field=DurationField(),
            ),
        )
    if staff_id is not None:
        slots = slots.filter(staff_id=staff_id)
    if day is not None:
        start, end = local_day_bounds(day)
        slots = slots.filter(start_time__gte=start, start_time__lt=end)
    return slots.select_related("staff").order_by("start_time", "pk")


def availability_bookable_rows(**filters) -> QuerySet[dict]:
    """availability_bookable as the rows a guest is shown, not model instances.

    Takes the same keyword arguments. A page of these is one query, and
    rendering it builds no Availability or Staff object only to read it.
    """
    return (
        availability_bookable(**filters)
        .select_related(None)
        .values("id", "staff_id", "start_time", "end_time", staff_name=F("staff__name"))
    )


def availability_bookable_days(
    *,
    first_day: date,
    last_day: date,
    service_id: int | None = None,
    staff_id: int | None = None,
    now: datetime | None = None,
) -> list[dict]:
    """Days of BOOKING_TIMEZONE from first_day to last_day with bookable slots.

    One query: the slots are selected by the instants the range starts and
    ends (local midnights, so 23- and 25-hour days are whole), then grouped
    by their start's calendar date in the business timezone.
    """
    zone = timezone.get_default_timezone()
    range_start, _ = local_day_bounds(first_day)
    _, range_end = local_day_bounds(last_day)
    slots = availability_bookable(
        service_id=service_id, staff_id=staff_id, now=now
    ).filter(start_time__gte=range_start, start_time__lt=range_end)
    rows = (
        slots.select_related(None)
        .annotate(day=TruncDate("start_time", tzinfo=zone))
        .order_by()
        .values("day")
        .annotate(count=Count("id"))
        .order_by("day")
    )
    return [{"date": row["day"], "count": row["count"]} for row in rows]


def availability_list() -> QuerySet[Availability]:
    """Every slot, booked and past included: the staff view."""
    return Availability.objects.select_related("staff").order_by("start_time", "pk")
