"""A page of the slots guests can book, as one SQL text built once.

The guests' listing is the API's most requested read. Built through the ORM
(selectors.availability_bookable_rows, which stays the reference and the
queryset of the guests' slot detail), the query's nested NOT EXISTS cost
more CPU to build and compile on every request than the database spent
running it. Here the text is built once per database and filter shape, only
the values change, and the rows are converted with the ORM's own converters
(common.rows), so both databases read exactly what the queryset read;
test_bookable_page proves the two select the same rows in the same order.

The statement is also shaped to be cheap to plan, since PostgreSQL plans it
on every request (no prepared statements: PgBouncer in transaction mode).
Planning cost grows with the tables joined, so only the slot's staff member
and the service are joined; whether the staff member offers the service is a
scalar subquery per candidate slot: an EXISTS would be pulled up into a
semi-join and planned with the rest (on the benchmark's million slots,
planning took 0.3 to 0.4 ms as written, about 1 ms with EXISTS or with the
ORM's joins).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

from django.conf import settings
from django.db import connection
from django.utils import timezone

from apps.availability.models import Availability
from apps.services.models import Service
from apps.staff.models import Staff
from common import rows
from common.dates import local_day_bounds

# Quoted as the ORM quotes them (the same on both databases).
_SLOTS, _STAFF, _SERVICES, _OFFERS = (
    f'"{model._meta.db_table}"'
    for model in (Availability, Staff, Service, Staff.services.through)
)

# The columns of a row a guest is shown, in the statement's order.
FIELDS = (
    Availability._meta.get_field("id"),
    Availability._meta.get_field("staff"),
    Availability._meta.get_field("start_time"),
    Availability._meta.get_field("end_time"),
    Staff._meta.get_field("name"),
)
KEYS = ("id", "staff_id", "start_time", "end_time", "staff_name")

# A slot's start plus the service's duration, as the ORM writes it per
# database (on SQLite, Django's own function for datetime arithmetic).
_NEEDED_END = {
    "postgresql": "({start} + sv.duration_minutes * interval '1 minute')",
    "sqlite": "django_format_dtdelta('+', {start},"
    " django_format_dtdelta('*', sv.duration_minutes, 60000000))",
}

# The slot is long enough, or every slot of its staff member starting before
# the service would end is open and followed at once by an open slot
# (selectors._gap_before_needed_end, written out).
_FITS = """(a.end_time >= {needed_end} OR NOT EXISTS (
      SELECT 1 FROM {slots} v
      WHERE v.staff_id = a.staff_id
        AND v.start_time >= a.start_time AND v.start_time < {needed_end}
        AND (v.is_booked OR v.is_closed OR v.is_held
             OR (v.end_time < {needed_end} AND NOT EXISTS (
                 SELECT 1 FROM {slots} u
                 WHERE NOT u.is_booked AND NOT u.is_closed AND NOT u.is_held
                   AND u.staff_id = v.staff_id AND u.start_time = v.end_time)))))"""


@cache
def _statement(vendor: str, service: bool, staff: bool, day: bool) -> str:
    """The statement for a database and the filters a query gives."""
    needed_end = _NEEDED_END[vendor].format(start="a.start_time")
    conditions = [
        "NOT a.is_booked AND NOT a.is_closed AND NOT a.is_held",
        "a.start_time > %(earliest)s",
        "st.is_active",
    ]
    if service:
        conditions += [
            "sv.is_active",
            # At most one row: (staff, service) is unique in the table.
            f"(SELECT true FROM {_OFFERS} ss"
            " WHERE ss.staff_id = a.staff_id AND ss.service_id = sv.id)",
            _FITS.format(slots=_SLOTS, needed_end=needed_end),
        ]
    if staff:
        conditions.append("a.staff_id = %(staff)s")
    if day:
        conditions += ["a.start_time >= %(day_start)s", "a.start_time < %(day_end)s"]
    service_join = f"JOIN {_SERVICES} sv ON sv.id = %(service)s" if service else ""
    where = "\n  AND ".join(conditions)
    return f"""SELECT a.id, a.staff_id, a.start_time, a.end_time, st.name
FROM {_SLOTS} a
JOIN {_STAFF} st ON st.id = a.staff_id
{service_join}
WHERE {where}
ORDER BY a.start_time, a.id
LIMIT %(limit)s OFFSET %(offset)s"""


@dataclass(frozen=True)
class BookableRows:
    """availability_bookable_rows's filters, read a slice at a time.

    Sliced as a queryset is (`rows[offset:offset + size]`, what pagination
    does), it runs one statement and returns a list of mappings with the
    queryset's keys and values.
    """

    service_id: int | None = None
    staff_id: int | None = None
    day: date | None = None
    now: datetime | None = None

    def __getitem__(self, page: slice) -> list[dict]:
        if not isinstance(page, slice) or page.step is not None:
            raise TypeError("BookableRows takes a slice [offset:stop] only.")
        offset = page.start or 0
        return self.fetch(offset=offset, limit=page.stop - offset)

    def fetch(self, *, offset: int, limit: int) -> list[dict]:
        now = self.now or timezone.now()
        earliest = now + timedelta(minutes=settings.BOOKING_MIN_NOTICE_MINUTES)
        adapt = connection.ops.adapt_datetimefield_value
        parameters = {
            "earliest": adapt(earliest),
            "service": self.service_id,
            "staff": self.staff_id,
            "limit": limit,
            "offset": offset,
        }
        if self.day is not None:
            start, end = local_day_bounds(self.day)
            parameters.update(day_start=adapt(start), day_end=adapt(end))
        statement = _statement(
            connection.vendor,
            self.service_id is not None,
            self.staff_id is not None,
            self.day is not None,
        )
        with connection.cursor() as cursor:
            cursor.execute(statement, parameters)
            values = cursor.fetchall()
        if rows.needs_conversion(FIELDS):
            values = [rows.converted(FIELDS, row) for row in values]
        return [dict(zip(KEYS, row, strict=True)) for row in values]
