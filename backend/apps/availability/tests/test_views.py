"""/api/availability/: the guest's bookable slots and the staff's slot management."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework import serializers

from apps.availability.models import Availability
from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings.tests.factories import BookingFactory
from apps.services.tests.factories import ServiceFactory
from apps.staff.tests.factories import StaffFactory
from common.tests.assertions import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def slot_zoo(service, staff_member, slot):
    """Slots a guest must not see, next to the one bookable `slot`."""
    now = timezone.now()
    past = AvailabilityFactory(
        staff=staff_member,
        start_time=now - timedelta(hours=3),
        end_time=now - timedelta(hours=2),
    )
    booked = BookingFactory(service=service, availability__staff=staff_member)
    inactive_staff = AvailabilityFactory(staff=StaffFactory(is_active=False))
    inactive_staff.staff.services.add(service)
    short = AvailabilityFactory(
        staff=staff_member,
        start_time=now + timedelta(days=40),
        end_time=now + timedelta(days=40, minutes=30),
    )
    return {
        "past": past.pk,
        "booked": booked.availability_id,
        "inactive_staff": inactive_staff.pk,
        "short": short.pk,
    }


@pytest.mark.parametrize("url", ["/api/bookings/availability/", "/api/availability/"])
def test_guest_slot_lists_hide_past_booked_and_inactive(
    api_client, service, slot, slot_zoo, url
):
    ids = [s["id"] for s in api_client.get(url).json()["results"]]
    assert slot.pk in ids
    assert not {slot_zoo["past"], slot_zoo["booked"], slot_zoo["inactive_staff"]} & set(
        ids
    )
    for_service = api_client.get(url, {"service": service.pk}).json()["results"]
    assert [s["id"] for s in for_service] == [slot.pk]  # the short one is out
    assert set(for_service[0]) == {
        "audience",
        "id",
        "staff",
        "staff_name",
        "start_time",
        "end_time",
    }
    for hidden in ("past", "booked", "inactive_staff"):
        response = api_client.get(f"/api/availability/{slot_zoo[hidden]}/")
        assert response.status_code == 404
    # Too short for this service, yet bookable for a shorter one.
    assert slot_zoo["short"] in ids


def test_slots_for_an_inactive_service_are_none(api_client, service, slot):
    service.is_active = False
    service.save()
    response = api_client.get("/api/bookings/availability/", {"service": service.pk})
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_staff_see_every_slot_and_filter_by_is_booked(staff_client, slot, slot_zoo):
    all_ids = {
        s["id"] for s in staff_client.get("/api/availability/").json()["results"]
    }
    assert all_ids == {slot.pk, *slot_zoo.values()}
    booked = staff_client.get("/api/availability/?is_booked=true").json()["results"]
    assert [s["id"] for s in booked] == [slot_zoo["booked"]]
    assert booked[0]["is_booked"] is True


def test_slot_list_date_is_a_day_in_the_business_timezone(
    api_client, service, staff_member, settings
):
    settings.TIME_ZONE = "Pacific/Auckland"  # UTC+13 in its summer
    auckland = ZoneInfo("Pacific/Auckland")
    day = (timezone.now() + timedelta(days=10)).astimezone(auckland).date()
    inside = [
        datetime.combine(day, datetime.min.time(), tzinfo=auckland),
        datetime.combine(day, datetime.max.time(), tzinfo=auckland)
        - timedelta(hours=1, seconds=59),
    ]
    outside = [inside[0] - timedelta(hours=1), inside[0] + timedelta(days=1)]
    for start in inside + outside:
        AvailabilityFactory(
            staff=staff_member, start_time=start, end_time=start + timedelta(hours=1)
        )
    response = api_client.get(
        "/api/bookings/availability/", {"service": service.pk, "date": day.isoformat()}
    )
    starts = [
        datetime.fromisoformat(s["start_time"]) for s in response.json()["results"]
    ]
    assert starts == inside
    assert all(s["start_time"].endswith("+13:00") for s in response.json()["results"])


def test_slot_list_rejects_bad_query_parameters(api_client):
    body = assert_error(
        api_client.get("/api/bookings/availability/?date=31-12-2026&service=x"),
        400,
        "invalid",
    )
    assert set(body["errors"]) == {"date", "service"}


def test_slots_are_ordered_by_start_time(api_client, service, staff_member):
    now = timezone.now()
    for days in (5, 2, 9):
        AvailabilityFactory(
            staff=staff_member,
            start_time=now + timedelta(days=days),
            end_time=now + timedelta(days=days, hours=1),
        )
    results = api_client.get("/api/bookings/availability/").json()["results"]
    starts = [s["start_time"] for s in results]
    assert starts == sorted(starts) and len(starts) == 3


def test_staff_create_slots_with_naive_times_in_the_business_timezone(
    staff_client, staff_member, settings
):
    settings.TIME_ZONE = "America/New_York"
    response = staff_client.post(
        "/api/availability/",
        {
            "staff": staff_member.pk,
            "start_time": "2031-07-01T09:00:00",
            "end_time": "2031-07-01T10:00:00",
            "is_booked": True,
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["start_time"] == "2031-07-01T09:00:00-04:00"
    slot = Availability.objects.get(pk=response.json()["id"])
    assert slot.start_time == datetime(2031, 7, 1, 13, 0, tzinfo=ZoneInfo("UTC"))
    assert slot.is_booked is False  # read-only over the API


def test_slot_validation_is_400(staff_client, staff_member, slot):
    overlap = {
        "staff": staff_member.pk,
        "start_time": (slot.start_time + timedelta(minutes=30)).isoformat(),
        "end_time": (slot.end_time + timedelta(minutes=30)).isoformat(),
    }
    body = assert_error(
        staff_client.post("/api/availability/", overlap), 400, "slot_overlap"
    )
    assert "start_time" in body["errors"]
    reversed_times = {**overlap, "end_time": slot.start_time.isoformat()}
    assert_error(
        staff_client.post("/api/availability/", reversed_times),
        400,
        "invalid_slot_times",
    )
    assert Availability.objects.count() == 1


def test_booked_slot_cannot_be_moved_or_deleted(staff_client, booking):
    url = f"/api/availability/{booking.availability_id}/"
    later = booking.availability.start_time + timedelta(days=3)
    assert_error(
        staff_client.patch(
            url,
            {"start_time": later.isoformat(),
             "end_time": (later + timedelta(hours=1)).isoformat()},
        ),
        409,
        "slot_booked",
    )  # fmt: skip
    assert_error(staff_client.delete(url), 409, "slot_booked")
    assert staff_client.patch(url, {"is_booked": False}).status_code == 200
    assert Availability.objects.get(pk=booking.availability_id).is_booked


def test_free_slot_can_be_moved_and_deleted(staff_client, slot):
    later = slot.start_time + timedelta(days=3)
    response = staff_client.patch(
        f"/api/availability/{slot.pk}/",
        {
            "start_time": later.isoformat(),
            "end_time": (later + timedelta(hours=2)).isoformat(),
        },
    )
    assert response.status_code == 200, response.content
    slot.refresh_from_db()
    assert slot.start_time == later
    assert staff_client.delete(f"/api/availability/{slot.pk}/").status_code == 204
    assert not Availability.objects.exists()


def test_lists_are_paginated_with_a_capped_page_size(api_client, staff_member):
    AvailabilityFactory.create_batch(120, staff=staff_member)
    # Above the schema's maximum is refused, not quietly capped (issue 34).
    too_big = api_client.get("/api/availability/?page_size=500")
    assert too_big.status_code == 400
    assert list(too_big.json()["errors"]) == ["page_size"]
    data = api_client.get("/api/availability/?page_size=100").json()
    assert set(data) == {"count", "next", "previous", "results"}
    assert data["count"] == 120
    assert len(data["results"]) == 100
    assert data["next"] is not None


@pytest.fixture
def busy_day(service):
    """150 bookable slots on one day, of 30 staff members offering `service`."""
    day = timezone.localdate() + timedelta(days=3)
    for member in StaffFactory.create_batch(30, services=[service]):
        for hour in range(9, 14):
            start = timezone.make_aware(datetime(day.year, day.month, day.day, hour))
            AvailabilityFactory(
                staff=member, start_time=start, end_time=start + timedelta(hours=1)
            )
    return day


@pytest.mark.parametrize("page_size", [20, 100])
def test_guest_slot_page_is_one_statement_without_a_count(
    api_client, service, busy_day, page_size
):
    params = {"service": service.pk, "date": busy_day.isoformat()}
    with CaptureQueriesContext(connection) as captured:
        response = api_client.get(
            "/api/bookings/availability/", {**params, "page_size": page_size}
        )

    assert response.status_code == 200
    body = response.json()
    assert len(body["results"]) == page_size
    assert len({slot["staff"] for slot in body["results"]}) > 1
    assert "count" not in body
    # The service is joined in, the staff names come with the rows, and no
    # count of every match runs beside the page.
    assert len(captured) == 1, [q["sql"] for q in captured.captured_queries]
    assert "COUNT(" not in captured.captured_queries[0]["sql"].upper()


def test_guest_slot_pages_follow_next_to_the_end(api_client, service, busy_day):
    url = "/api/bookings/availability/"
    params = {"service": service.pk, "date": busy_day.isoformat(), "page_size": 40}
    first = api_client.get(url, params).json()
    pages, ids = [first], [s["id"] for s in first["results"]]
    while pages[-1]["next"]:
        pages.append(api_client.get(pages[-1]["next"]).json())
        ids += [s["id"] for s in pages[-1]["results"]]

    assert [len(page["results"]) for page in pages] == [40, 40, 40, 30]
    assert len(set(ids)) == 150
    assert first["previous"] is None
    assert "page=" not in pages[1]["previous"]
    assert "page=3" in pages[3]["previous"]
    for page in ("5", "0", "x"):
        assert_error(api_client.get(url, {**params, "page": page}), 404, "not_found")


def test_exactly_one_full_page_has_no_next(api_client, service, busy_day):
    params = {"service": service.pk, "date": busy_day.isoformat(), "page_size": 75}
    second = api_client.get("/api/bookings/availability/", {**params, "page": 2})

    assert len(second.json()["results"]) == 75
    assert second.json()["next"] is None


@pytest.mark.parametrize("url", ["/api/bookings/availability/", "/api/availability/"])
@pytest.mark.parametrize("field", ["service", "staff"])
def test_an_unknown_id_is_400_checked_only_for_an_empty_page(
    api_client, staff_member, slot, url, field
):
    body = assert_error(api_client.get(url, {field: 999999}), 400, "invalid")
    assert body["errors"] == {field: ['Invalid pk "999999" - object does not exist.']}

    # A known id that finds nothing is an empty page after one more look-up.
    known = {"service": ServiceFactory().pk, "staff": StaffFactory().pk}[field]
    with CaptureQueriesContext(connection) as captured:
        response = api_client.get(url, {field: known})
    assert response.status_code == 200
    assert response.json()["results"] == []
    assert len(captured) <= 3

    # One that finds slots is never looked up on its own.
    found = {"service": slot.staff.services.get().pk, "staff": staff_member.pk}
    with CaptureQueriesContext(connection) as captured:
        response = api_client.get(url, {field: found[field]})
    assert [s["id"] for s in response.json()["results"]] == [slot.pk]
    assert not any(
        '"services_service"."id" =' in q["sql"] and "availability" not in q["sql"]
        for q in captured.captured_queries
    )


def test_guest_slot_fields_render_as_drf_renders_them(api_client, slot):
    (rendered,) = api_client.get("/api/bookings/availability/").json()["results"]

    when = serializers.DateTimeField().to_representation
    assert rendered == {
        "audience": "public",
        "id": slot.pk,
        "staff": slot.staff_id,
        "staff_name": slot.staff.name,
        "start_time": when(slot.start_time),
        "end_time": when(slot.end_time),
    }
