"""Read-only queries of slots: what guests may book, what staff see."""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import (
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from apps.availability.bookable_page import BookableRows
from apps.availability.models import Availability
from common.dates import local_day_bounds


def minutes(expression) -> ExpressionWrapper:
    """A whole number of minutes (a column, an annotation) as an SQL interval."""
    return ExpressionWrapper(
        # Typed as a plain integer: SQLite multiplies only those.
        ExpressionWrapper(expression, output_field=IntegerField())
        * timedelta(minutes=1),
        output_field=DurationField(),
    )


def _open_slots() -> QuerySet[Availability]:
    """Slots neither booked, closed nor held for an offer."""
    return Availability.objects.filter(is_booked=False, is_closed=False, is_held=False)


def _gap_before_needed_end() -> Exists:
    """Whether the outer slot's staff member lacks open time from its start
    to its `needed_end` (an annotation of the outer query).

    Slots of one staff member never overlap, so the time is there exactly
    when every slot starting in [start, needed_end) is open and each one
    ending before `needed_end` is followed at once by an open slot.
    """
    followed = _open_slots().filter(
        staff_id=OuterRef("staff_id"), start_time=OuterRef("end_time")
    )
    return Exists(
        Availability.objects.filter(
            staff_id=OuterRef("staff_id"),
            start_time__gte=OuterRef("start_time"),
            start_time__lt=OuterRef("needed_end"),
        ).filter(
            Q(is_booked=True)
            | Q(is_closed=True)
            | Q(is_held=True)
            | Q(Q(end_time__lt=OuterRef("needed_end")), ~Exists(followed))
        )
    )


def availability_bookable(
    *,
    service_id: int | None = None,
    staff_id: int | None = None,
    day: date | None = None,
    now: datetime | None = None,
) -> QuerySet[Availability]:
    """Slots a guest can book now: future, free, open, their staff member active.

    "Future" means after the minimum notice (BOOKING_MIN_NOTICE_MINUTES).

    With a service, only slots of staff who offer it where the service fits:
    the slot is long enough, or it and the open slots right after it are (a
    45-minute service on a 15-minute grid starts only where three open slots
    follow each other); none at all while the service is inactive. The
    service is joined in rather than read first, so an id that names nothing
    simply matches no slot.
    """
    now = now or timezone.now()
    earliest = now + timedelta(minutes=settings.BOOKING_MIN_NOTICE_MINUTES)
    slots = _open_slots().filter(start_time__gt=earliest, staff__is_active=True)
    if service_id is not None:
        # One filter() call, so both conditions are on the same joined
        # service row; the annotation reuses that join.
        slots = (
            slots.filter(
                staff__services__id=service_id, staff__services__is_active=True
            )
            .annotate(
                needed_end=F("start_time")
                + minutes(F("staff__services__duration_minutes"))
            )
            .filter(Q(end_time__gte=F("needed_end")) | ~_gap_before_needed_end())
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


def availability_bookable_listing(
    *,
    service_id: int | None = None,
    staff_id: int | None = None,
    day: date | None = None,
    now: datetime | None = None,
) -> BookableRows:
    """availability_bookable_rows for the guests' listing: the same rows,
    sliced like a queryset, each slice one statement of fixed SQL text
    (bookable_page) that skips building and compiling the ORM's query."""
    return BookableRows(service_id=service_id, staff_id=staff_id, day=day, now=now)


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


def availability_run_ids(*, first_slot_id: int, minutes_needed: int) -> list[int]:
    """Ids of the slots a booking of `minutes_needed` starting at this slot
    would take: the slot and its staff member's slots starting before the
    time is covered. Read without a lock; the caller locks and checks them."""
    first = Availability.objects.filter(pk=first_slot_id)
    start = Subquery(first.values("start_time"))
    return list(
        Availability.objects.filter(
            staff_id=Subquery(first.values("staff_id")),
            start_time__gte=start,
            start_time__lt=start + timedelta(minutes=minutes_needed),
        ).values_list("pk", flat=True)
    )


def availability_list() -> QuerySet[Availability]:
    """Every slot, booked and past included: the staff view."""
    return Availability.objects.select_related("staff").order_by("start_time", "pk")
