"""GET /api/bookings/availability/days/: the guest calendar's days with free slots."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from apps.availability.selectors import availability_bookable_days
from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings.tests.factories import unpaid_booking
from apps.services.tests.factories import ServiceFactory
from apps.staff.tests.factories import StaffFactory

URL = "/api/bookings/availability/days/"
pytestmark = pytest.mark.django_db


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def slot_at(staff, start):
    return AvailabilityFactory(
        staff=staff, start_time=start, end_time=start + timedelta(hours=1)
    )


@pytest.mark.parametrize(
    ("slot_starts", "expected"),
    [
        # Spring forward in Lisbon (2027-03-28, 01:00 UTC): a 23-hour day.
        # 23:30 UTC on the 28th is already 00:30 on the 29th in Lisbon.
        (
            [utc(2027, 3, 27, 23, 30), utc(2027, 3, 28, 22, 30)],
            {date(2027, 3, 27): 1, date(2027, 3, 28): 1},
        ),
        (
            [utc(2027, 3, 28, 0, 30), utc(2027, 3, 28, 23, 30)],
            {date(2027, 3, 28): 1, date(2027, 3, 29): 1},
        ),
        # Fall back (2026-10-25, 01:00 UTC): a 25-hour day. 23:30 UTC on the
        # 24th is 00:30 on the 25th (summer time); 23:30 UTC on the 25th is
        # still the 25th (winter time).
        (
            [utc(2026, 10, 24, 23, 30), utc(2026, 10, 25, 23, 30)],
            {date(2026, 10, 25): 2},
        ),
    ],
)
def test_days_are_calendar_days_of_the_business_timezone_across_dst(
    settings, service, staff_member, slot_starts, expected
):
    assert settings.BOOKING_TIMEZONE == "Europe/Lisbon"
    for start in slot_starts:
        slot_at(staff_member, start)

    days = availability_bookable_days(
        first_day=date(2026, 10, 1),
        last_day=date(2026, 10, 31),
        service_id=service.pk,
        now=utc(2026, 9, 1),
    ) + availability_bookable_days(
        first_day=date(2027, 3, 1),
        last_day=date(2027, 3, 31),
        service_id=service.pk,
        now=utc(2026, 9, 1),
    )

    assert {day["date"]: day["count"] for day in days} == expected


def test_range_edges_are_local_midnights_on_a_dst_day(service, staff_member):
    # 00:30 and 23:30 in Lisbon on the 23-hour 2027-03-28, and the first
    # minutes of the days either side.
    inside = [utc(2027, 3, 28, 0, 30), utc(2027, 3, 28, 21, 30)]
    outside = [utc(2027, 3, 27, 23, 0), utc(2027, 3, 28, 23, 0)]
    for start in inside + outside:
        slot_at(staff_member, start)

    days = availability_bookable_days(
        first_day=date(2027, 3, 28),
        last_day=date(2027, 3, 28),
        service_id=service.pk,
        now=utc(2026, 9, 1),
    )

    assert days == [{"date": date(2027, 3, 28), "count": 2}]


def test_in_another_timezone(settings, service, staff_member):
    settings.TIME_ZONE = settings.BOOKING_TIMEZONE = "Pacific/Auckland"
    # 13:00 UTC is 02:00 the next day in Auckland (UTC+13 in December).
    slot_at(staff_member, utc(2026, 12, 9, 13, 0))

    days = availability_bookable_days(
        first_day=date(2026, 12, 1),
        last_day=date(2026, 12, 31),
        now=utc(2026, 11, 1),
    )

    assert days == [{"date": date(2026, 12, 10), "count": 1}]


def test_only_bookable_slots_are_counted(api_client, service, staff_member):
    tomorrow = timezone.localdate() + timedelta(days=1)
    start = timezone.make_aware(
        datetime(tomorrow.year, tomorrow.month, tomorrow.day, 9)
    )
    free = slot_at(staff_member, start)
    taken = slot_at(staff_member, start + timedelta(hours=2))
    unpaid_booking(service, taken)
    slot_at(StaffFactory(services=[service], is_active=False), start)
    slot_at(StaffFactory(services=[ServiceFactory()]), start)
    AvailabilityFactory(  # too short for the one-hour service
        staff=staff_member,
        start_time=start + timedelta(hours=4),
        end_time=start + timedelta(hours=4, minutes=30),
    )
    slot_at(staff_member, timezone.now() - timedelta(hours=1))

    response = api_client.get(
        URL,
        {
            "service": service.pk,
            "from": timezone.localdate().isoformat(),
            "to": (tomorrow + timedelta(days=3)).isoformat(),
        },
    )

    assert response.status_code == 200
    assert response.json() == {
        "timezone": "Europe/Lisbon",
        "days": [{"date": tomorrow.isoformat(), "count": 1}],
    }
    assert free.is_booked is False


def test_staff_narrows_the_days(api_client, service, staff_member):
    other = StaffFactory(services=[service])
    day = timezone.localdate() + timedelta(days=2)
    start = timezone.make_aware(datetime(day.year, day.month, day.day, 10))
    slot_at(staff_member, start)
    slot_at(other, start)
    slot_at(other, start + timedelta(days=1))
    params = {"from": day.isoformat(), "to": (day + timedelta(days=5)).isoformat()}

    everyone = api_client.get(URL, {**params, "service": service.pk}).json()
    one = api_client.get(URL, {**params, "staff": staff_member.pk}).json()

    assert everyone["days"] == [
        {"date": day.isoformat(), "count": 2},
        {"date": (day + timedelta(days=1)).isoformat(), "count": 1},
    ]
    assert one["days"] == [{"date": day.isoformat(), "count": 1}]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-12-01", "to": "2027-02-01"}, "to"),  # 63 days
        ({"from": "2026-12-10", "to": "2026-12-09"}, "to"),
        ({"from": "2026-12-10"}, "to"),
        ({"to": "2026-12-10"}, "from"),
        ({"from": "10/12/2026", "to": "2026-12-11"}, "from"),
        ({"from": "2026-12-01", "to": "2026-12-02", "service": "999999"}, "service"),
    ],
)
def test_bad_ranges_are_400_with_the_field(api_client, params, field):
    response = api_client.get(URL, params)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["errors"]


def test_62_days_is_the_longest_range(api_client):
    response = api_client.get(URL, {"from": "2026-12-01", "to": "2027-01-31"})

    assert response.status_code == 200
    assert response.json()["days"] == []


def test_one_query_however_many_days_and_slots(
    django_assert_num_queries, service, staff_member
):
    first_day = timezone.localdate() + timedelta(days=1)
    for offset in range(40):
        day = first_day + timedelta(days=offset)
        for hour in (9, 11, 14):
            slot_at(
                staff_member,
                timezone.make_aware(datetime(day.year, day.month, day.day, hour)),
            )

    with django_assert_num_queries(1):
        days = availability_bookable_days(
            first_day=first_day,
            last_day=first_day + timedelta(days=61),
            service_id=service.pk,
        )

    assert len(days) == 40
    assert {day["count"] for day in days} == {3}


def test_the_endpoint_is_one_query_with_service_and_staff(
    django_assert_num_queries, api_client, service, staff_member
):
    first_day = timezone.localdate() + timedelta(days=1)
    for offset in range(10):
        day = first_day + timedelta(days=offset)
        slot_at(
            staff_member, timezone.make_aware(datetime(day.year, day.month, day.day, 9))
        )
    params = {
        "service": service.pk,
        "staff": staff_member.pk,
        "from": first_day.isoformat(),
        "to": (first_day + timedelta(days=30)).isoformat(),
    }

    # The service and staff member are joined into the days query, not read
    # first.
    with django_assert_num_queries(1):
        response = api_client.get(URL, params)

    assert response.status_code == 200
    assert len(response.json()["days"]) == 10


def test_no_days_checks_the_ids_in_one_query_each(
    django_assert_num_queries, api_client, service, staff_member
):
    params = {"service": service.pk, "staff": staff_member.pk}
    params |= {"from": "2026-12-01", "to": "2026-12-31"}

    # The days, then whether the service and the staff member exist.
    with django_assert_num_queries(3):
        response = api_client.get(URL, params)

    assert response.status_code == 200
    assert response.json()["days"] == []


def test_an_inactive_service_has_no_days(api_client, service, staff_member):
    day = timezone.localdate() + timedelta(days=2)
    slot_at(staff_member, timezone.make_aware(datetime(day.year, day.month, day.day)))
    service.is_active = False
    service.save()

    response = api_client.get(
        URL, {"service": service.pk, "from": day.isoformat(), "to": day.isoformat()}
    )

    assert response.status_code == 200
    assert response.json()["days"] == []
