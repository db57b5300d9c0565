"""The guests' listing's fixed SQL (availability.bookable_page) against the
ORM query it replaces (selectors.availability_bookable_rows): the same rows,
values and order for every filter shape, on each database."""

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.availability.selectors import (
    availability_bookable_listing,
    availability_bookable_rows,
)
from apps.availability.tests.factories import AvailabilityFactory
from apps.services.tests.factories import ServiceFactory
from apps.staff.tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

LISBON = ZoneInfo("Europe/Lisbon")
# Lisbon's clocks go back on this day (25 hours) and forward on the other (23).
LONG_DAY, SHORT_DAY = date(2027, 10, 31), date(2027, 3, 28)
NOW = datetime(2027, 3, 27, 22, 10, tzinfo=LISBON)


def local(day: date, hour: int, minute: int = 0, *, fold: int = 0) -> datetime:
    return datetime(
        day.year, day.month, day.day, hour, minute, tzinfo=LISBON, fold=fold
    )


def run(staff, start: datetime, count: int, minutes: int = 15, **flags):
    """`count` back-to-back slots of `minutes` from `start` (exact instants,
    so runs across a clock change stay contiguous)."""
    start = start.astimezone(UTC)  # aware arithmetic in Lisbon is wall-clock
    slots = []
    for n in range(count):
        begins = start + timedelta(minutes=minutes * n)
        slots.append(
            AvailabilityFactory(
                staff=staff,
                start_time=begins,
                end_time=begins + timedelta(minutes=minutes),
                **flags,
            )
        )
    return slots


@pytest.fixture
def zoo():
    """Services of several lengths, staff active and not, and slots with every
    state around the days that make the bounds tricky."""
    services = {
        "quarter": ServiceFactory(duration_minutes=15),
        "three_quarters": ServiceFactory(duration_minutes=45),
        "hour": ServiceFactory(duration_minutes=60),
        "inactive": ServiceFactory(duration_minutes=30, is_active=False),
    }
    everything = list(services.values())
    staff = {
        "grid": StaffFactory(services=everything),
        "halves": StaffFactory(
            services=[services["quarter"], services["three_quarters"]]
        ),
        "inactive": StaffFactory(services=everything, is_active=False),
        "hour_only": StaffFactory(services=[services["hour"]]),
    }
    grid = staff["grid"]
    # Around the short day's local midnight and into it, on a 15-minute grid:
    # a run crossing midnight, a booked, a closed and a held slot, a gap.
    run(grid, local(SHORT_DAY - timedelta(days=1), 23, 0), 8)
    run(grid, local(SHORT_DAY, 1, 0), 3)
    run(grid, local(SHORT_DAY, 1, 45), 1, is_booked=True)
    run(grid, local(SHORT_DAY, 3, 0), 4)  # 01:00 to 02:00 do not exist
    run(grid, local(SHORT_DAY, 4, 0), 1, is_closed=True)
    run(grid, local(SHORT_DAY, 4, 15), 3)
    run(grid, local(SHORT_DAY, 5, 0), 1, is_held=True)
    run(grid, local(SHORT_DAY, 5, 15), 2)
    run(grid, local(SHORT_DAY, 6, 0), 2)  # 05:45 missing: a gap before it
    run(grid, local(SHORT_DAY, 23, 30), 4)  # the last one ends in the next day
    # Across the hour the long day repeats (01:00 to 02:00 twice).
    run(grid, local(LONG_DAY, 0, 30), 10)
    run(grid, local(LONG_DAY, 23, 15), 5)
    # Half-hour slots next to minimum notice and "now": past, just before and
    # just after the earliest start, one not followed by its neighbour.
    halves = staff["halves"]
    run(halves, NOW - timedelta(hours=2), 6, minutes=30)
    run(halves, local(SHORT_DAY, 0, 0), 3, minutes=30)
    run(halves, local(SHORT_DAY, 3, 30), 2, minutes=30)
    run(halves, local(SHORT_DAY, 5, 0), 1, minutes=45)
    run(halves, local(SHORT_DAY, 6, 0), 1, minutes=30, is_held=True)
    run(halves, local(LONG_DAY, 1, 30, fold=1), 3, minutes=30)
    # An inactive staff member's open slots, and one-hour slots.
    run(staff["inactive"], local(SHORT_DAY, 9, 0), 4)
    run(staff["hour_only"], local(SHORT_DAY, 9, 0), 3, minutes=60)
    run(staff["hour_only"], local(LONG_DAY, 0, 0), 26, minutes=60)
    return services, staff


def listed(rows) -> list[tuple]:
    """Rows with their values' types and time zones, so that a datetime read
    back differently (text on SQLite, another zone) counts as a difference."""
    return [
        tuple(
            (key, value, type(value).__name__, repr(getattr(value, "tzinfo", None)))
            for key, value in row.items()
        )
        for row in rows
    ]


PAGES = ((0, 21), (3, 5), (20, 21), (0, 200))


def test_fixed_sql_selects_what_the_orm_query_selects(zoo, settings):
    services, staff = zoo
    service_ids = [None, *(service.pk for service in services.values()), 999_999]
    staff_ids = [None, *(member.pk for member in staff.values())]
    days = [None, SHORT_DAY - timedelta(days=1), SHORT_DAY, LONG_DAY]
    compared = found = 0
    for notice in (0, 100):
        settings.BOOKING_MIN_NOTICE_MINUTES = notice
        for service_id, staff_id, day in itertools.product(
            service_ids, staff_ids, days
        ):
            filters = {
                "service_id": service_id,
                "staff_id": staff_id,
                "day": day,
                "now": NOW,
            }
            for offset, size in PAGES:
                expected = list(
                    availability_bookable_rows(**filters)[offset : offset + size]
                )
                got = availability_bookable_listing(**filters)[offset : offset + size]
                assert listed(got) == listed(expected), (filters, offset, size)
                compared += 1
                found += len(expected)
    # The cases are not all empty: both queries found slots to compare.
    assert compared == 2 * len(service_ids) * len(staff_ids) * len(days) * len(PAGES)
    assert found > 500


def test_the_cases_tell_the_filters_apart(zoo):
    """Guards the comparison above: the zoo has slots that each rule removes."""
    services, staff = zoo

    def ids(**filters):
        return {
            row["id"]
            for row in availability_bookable_listing(now=NOW, **filters)[0:1000]
        }

    every = ids()
    quarter = ids(service_id=services["quarter"].pk)
    three_quarters = ids(service_id=services["three_quarters"].pk)
    assert three_quarters and three_quarters < quarter < every
    assert not ids(service_id=services["inactive"].pk)
    assert not ids(staff_id=staff["inactive"].pk)
    short_day = ids(day=SHORT_DAY)
    assert short_day and short_day < every
    assert ids(day=LONG_DAY) - short_day


def test_the_page_is_one_statement_of_fixed_text(zoo, api_client):
    services, _ = zoo
    path = "/api/bookings/availability/"
    query = {"service": services["three_quarters"].pk, "date": SHORT_DAY}
    texts = []
    for _ in range(2):  # the first request builds the text, the second reuses it
        with CaptureQueriesContext(connection) as captured:
            response = api_client.get(path, query)
        assert response.status_code == 200
        assert len(captured) == 1
        assert response.json()["results"]
        texts.append(captured[0]["sql"])
    # The fixed text (its own aliases), not the ORM's compiled query.
    assert all('FROM "availability_availability" a\n' in text for text in texts)
