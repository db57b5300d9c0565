"""The business calendar from an empty database, through HTTP only: a week
set up, the horizon job run by the command, a holiday and an absence."""

from datetime import date, datetime, time, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from apps.availability.models import Availability
from apps.bookings.tests.factories import StaffUserFactory
from apps.schedules.models import Closure, WorkingHours
from common.dates import local_day_bounds
from common.tests.assertions import assert_error

pytestmark = pytest.mark.django_db

HOURS = (9, 10, 11, 12, 14, 15, 16, 17)  # 09:00-13:00 and 14:00-18:00


@pytest.fixture
def manager():
    client = APIClient()
    client.force_authenticate(StaffUserFactory(role="manager"))
    return client


@pytest.fixture
def desk():
    client = APIClient()
    client.force_authenticate(StaffUserFactory(role="desk"))
    return client


def created(response):
    assert response.status_code == 201, response.content
    return response.json()


def set_up_the_week(manager) -> tuple[dict, list[dict]]:
    service = created(
        manager.post(
            "/api/services/",
            {"name": "Haircut", "duration_minutes": 60, "price": "20.00"},
        )
    )
    staff = [
        created(
            manager.post("/api/staff/", {"name": name, "services": [service["id"]]})
        )
        for name in ("Rita", "Sofia")
    ]
    for member in staff:
        for weekday in range(5):
            for start, end in (("09:00", "13:00"), ("14:00", "18:00")):
                created(
                    manager.post(
                        "/api/working-hours/",
                        {
                            "staff": member["id"],
                            "weekday": weekday,
                            "start": start,
                            "end": end,
                            "slot_minutes": 60,
                        },
                    )
                )
    return service, staff


def expected_slots(now: datetime, days: int = 60) -> int:
    """Weekdays from today for `days` days, 8 one-hour slots each, future ones."""
    zone = timezone.get_default_timezone()
    today = timezone.localdate(now)
    count = 0
    for offset in range(days):
        day = today + timedelta(days=offset)
        if day.weekday() < 5:
            count += sum(
                datetime.combine(day, time(hour), tzinfo=zone) > now for hour in HOURS
            )
    return count


def field_error(response, field) -> dict:
    """400 naming `field` (a serializer's `invalid` or a domain rule's code)."""
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body["errors"], body
    return body


def next_weekday(after: date, weekday: int) -> date:
    return after + timedelta(days=(weekday - after.weekday()) % 7 or 7)


def bookable(client, service, day: date) -> list[dict]:
    response = client.get(
        "/api/bookings/availability/",
        {"service": service["id"], "date": day.isoformat(), "page_size": 100},
    )
    assert response.status_code == 200
    return response.json()["results"]


def days_with_slots(client, service, first: date, last: date) -> dict:
    response = client.get(
        "/api/bookings/availability/days/",
        {"service": service["id"], "from": first.isoformat(), "to": last.isoformat()},
    )
    assert response.status_code == 200
    return {row["date"]: row["count"] for row in response.json()["days"]}


def test_a_week_set_up_over_http_fills_the_horizon_exactly(manager):
    service, _ = set_up_the_week(manager)
    now = timezone.now()

    call_command("run_scheduled_jobs")
    after_first = Availability.objects.count()
    call_command("run_scheduled_jobs")

    # Exactly the slots the rules call for: no duplicates on the second run.
    assert Availability.objects.count() == after_first
    # (A run starting a little after `now` may have one slot fewer today.)
    assert after_first in {
        2 * expected_slots(now),
        2 * expected_slots(now + timedelta(minutes=1)),
    }
    zone = timezone.get_default_timezone()
    for slot in Availability.objects.all():
        local = slot.start_time.astimezone(zone)
        assert local.weekday() < 5, "no slot at the weekend"
        assert local.hour in HOURS, "none at lunch or outside the hours"
        assert slot.end_time - slot.start_time == timedelta(hours=60 / 60)
        assert slot.source == Availability.Source.WORKING_HOURS

    # The guest listing offers them, one per staff member per hour.
    monday = next_weekday(timezone.localdate(), 0)
    assert len(bookable(APIClient(), service, monday)) == 16


def test_a_holiday_empties_a_weekday_and_an_absence_only_its_staff_member(manager):
    service, (rita, sofia) = set_up_the_week(manager)
    call_command("run_scheduled_jobs")
    guest = APIClient()
    wednesday = next_weekday(timezone.localdate(), 2)
    thursday = wednesday + timedelta(days=1)
    start, end = local_day_bounds(wednesday)
    assert days_with_slots(guest, service, wednesday, wednesday) == {
        wednesday.isoformat(): 16
    }

    holiday = created(
        manager.post(
            "/api/closures/",
            {
                "starts_at": start.isoformat(),
                "ends_at": end.isoformat(),
                "staff": None,
                "kind": "holiday",
                "public_note": "Town festival",
            },
        )
    )
    call_command("run_scheduled_jobs")

    assert bookable(guest, service, wednesday) == []
    assert days_with_slots(guest, service, wednesday, thursday) == {
        thursday.isoformat(): 16
    }
    # The closed day, with its note, for the guest calendar.
    closed = guest.get(
        "/api/closures/days/",
        {"from": wednesday.isoformat(), "to": thursday.isoformat()},
    ).json()["days"]
    assert closed == [
        {
            "date": wednesday.isoformat(),
            "all_day": True,
            "kind": "holiday",
            "staff": None,
            "public_note": "Town festival",
        }
    ]
    listed = manager.get("/api/closures/", {"kind": "holiday"}).json()
    assert [row["id"] for row in listed["results"]] == [holiday["id"]]
    assert listed["count"] == 1

    # Rita away on Thursday morning: only her slots go.
    thursday_start, _ = local_day_bounds(thursday)
    created(
        manager.post(
            "/api/closures/",
            {
                "starts_at": (thursday_start + timedelta(hours=9)).isoformat(),
                "ends_at": (thursday_start + timedelta(hours=13)).isoformat(),
                "staff": rita["id"],
                "kind": "absence",
                "public_note": "",
            },
        )
    )
    slots = bookable(guest, service, thursday)
    assert len(slots) == 12
    rita_left = [slot for slot in slots if slot["staff"] == rita["id"]]
    assert len(rita_left) == 4  # her afternoon
    assert len([slot for slot in slots if slot["staff"] == sofia["id"]]) == 8
    assert days_with_slots(guest, service, thursday, thursday) == {
        thursday.isoformat(): 12
    }

    # Deleting the holiday brings Wednesday back (at once, and the job agrees).
    assert manager.delete(f"/api/closures/{holiday['id']}/").status_code == 204
    call_command("run_scheduled_jobs")
    assert len(bookable(guest, service, wednesday)) == 16


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"start": "13:00", "end": "09:00"}, "end"),
        ({"start": "09:00", "end": "09:00"}, "end"),
        ({"start": "09:00", "end": "24:30"}, "end"),
        ({"start": "25:00", "end": "26:00"}, "start"),
        ({"start": "-1:00", "end": "10:00"}, "start"),
        ({"start": "9am", "end": "10:00"}, "start"),
        ({"slot_minutes": 300}, "slot_minutes"),
        ({"slot_minutes": 0}, "slot_minutes"),
        ({"weekday": 7}, "weekday"),
        ({"valid_from": "2027-02-01", "valid_until": "2027-01-01"}, "valid_until"),
    ],
)
def test_bad_rules_are_field_errors_and_write_nothing(manager, changes, field):
    staff = created(manager.post("/api/staff/", {"name": "Rita"}))
    rule = {
        "staff": staff["id"],
        "weekday": 0,
        "start": "09:00",
        "end": "13:00",
        "slot_minutes": 60,
        **changes,
    }

    field_error(manager.post("/api/working-hours/", rule), field)

    assert not WorkingHours.objects.exists()


def test_a_rule_to_midnight_is_allowed(manager):
    staff = created(manager.post("/api/staff/", {"name": "Rita"}))
    rule = created(
        manager.post(
            "/api/working-hours/",
            {
                "staff": staff["id"],
                "weekday": 4,
                "start": "20:00",
                "end": "24:00",
                "slot_minutes": 120,
            },
        )
    )
    assert (rule["start"], rule["end"]) == ("20:00", "24:00")


def test_overlapping_rules_of_one_staff_member_are_refused(manager):
    rita = created(manager.post("/api/staff/", {"name": "Rita"}))
    sofia = created(manager.post("/api/staff/", {"name": "Sofia"}))
    morning = {"weekday": 0, "start": "09:00", "end": "13:00", "slot_minutes": 30}
    created(manager.post("/api/working-hours/", {**morning, "staff": rita["id"]}))

    overlap = {**morning, "staff": rita["id"], "start": "12:00", "end": "15:00"}
    body = field_error(manager.post("/api/working-hours/", overlap), "start")
    assert body["code"] == "working_hours_overlap"
    # Another staff member, another weekday, or a break after it: fine.
    created(manager.post("/api/working-hours/", {**morning, "staff": sofia["id"]}))
    created(
        manager.post(
            "/api/working-hours/", {**morning, "staff": rita["id"], "weekday": 1}
        )
    )
    created(
        manager.post(
            "/api/working-hours/",
            {**morning, "staff": rita["id"], "start": "13:00", "end": "18:00"},
        )
    )
    # Moving a rule onto another is refused as well.
    rule = WorkingHours.objects.get(staff_id=rita["id"], weekday=1)
    response = manager.patch(
        f"/api/working-hours/{rule.pk}/", {"weekday": 0, "start": "10:00"}
    )
    field_error(response, "start")
    assert WorkingHours.objects.count() == 4


def test_a_horizon_over_366_days_is_a_field_error(manager):
    for days in (367, 1000, 0):
        body = field_error(
            manager.post("/api/working-hours/fill/", {"horizon_days": days}),
            "horizon_days",
        )
        assert body["code"] == "invalid"
    response = manager.post("/api/working-hours/fill/", {"horizon_days": 366})
    assert response.status_code == 200
    assert response.json()["horizon_days"] == 366


def test_bad_closures_are_field_errors(manager):
    start = timezone.now() + timedelta(days=3)
    cases = [
        ({"ends_at": start.isoformat()}, "ends_at"),
        ({"ends_at": (start - timedelta(hours=1)).isoformat()}, "ends_at"),
        ({"kind": "absence", "staff": None}, "staff"),
        ({"kind": "vacation"}, "kind"),
        ({"on_conflict": "ignore"}, "on_conflict"),
        ({"starts_at": "9999-01-01T00:00:00Z"}, "starts_at"),
    ]
    for changes, field in cases:
        closure = {
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat(),
            "kind": "closed",
            **changes,
        }
        field_error(manager.post("/api/closures/", closure), field)
    assert not Closure.objects.exists()


def test_closure_time_filters_take_any_offset_and_refuse_odd_instants(manager, desk):
    """PostgreSQL refuses UTC offsets past 15:59 that Python parses (the fuzz
    test's 500 on `?after=0034-05-21T13:57:01+18:10`)."""
    start = timezone.now() + timedelta(days=3)
    created(
        manager.post(
            "/api/closures/",
            {
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=2)).isoformat(),
                "kind": "closed",
            },
        )
    )
    far_east = timezone.get_fixed_timezone(18 * 60 + 10)
    just_before_end = (start + timedelta(hours=2) - timedelta(minutes=1)).astimezone(
        far_east
    )
    found = desk.get("/api/closures/", {"after": just_before_end.isoformat()})
    assert found.status_code == 200 and found.json()["count"] == 1
    past_end = (start + timedelta(hours=3)).astimezone(far_east)
    none = desk.get("/api/closures/", {"after": past_end.isoformat()})
    assert none.status_code == 200 and none.json()["count"] == 0
    for odd in (
        "0034-05-21T13:57:01+18:10",
        "0001-01-01T00:00:00+23:59",
        "9999-12-31T23:59:59-23:59",
        "yesterday",
    ):
        for name in ("after", "before"):
            field_error(desk.get("/api/closures/", {name: odd}), name)


def test_the_front_desk_reads_the_calendar_but_cannot_write_it(manager, desk):
    rita = created(manager.post("/api/staff/", {"name": "Rita"}))
    rule = {
        "staff": rita["id"],
        "weekday": 0,
        "start": "09:00",
        "end": "13:00",
        "slot_minutes": 60,
    }
    existing = created(manager.post("/api/working-hours/", rule))
    start = timezone.now() + timedelta(days=3)
    closure = {
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        "kind": "closed",
    }
    closed = created(manager.post("/api/closures/", closure))

    assert desk.get("/api/working-hours/").json()["count"] == 1
    assert desk.get(f"/api/working-hours/{existing['id']}/").status_code == 200
    assert desk.get("/api/closures/").json()["count"] == 1
    writes = [
        desk.post("/api/working-hours/", {**rule, "weekday": 1}),
        desk.patch(f"/api/working-hours/{existing['id']}/", {"end": "12:00"}),
        desk.delete(f"/api/working-hours/{existing['id']}/"),
        desk.post("/api/working-hours/fill/", {}),
        desk.post("/api/closures/", closure),
        desk.patch(f"/api/closures/{closed['id']}/", {"public_note": "x"}),
        desk.delete(f"/api/closures/{closed['id']}/"),
    ]
    for response in writes:
        assert_error(response, 403, "permission_denied")
    assert WorkingHours.objects.get().end_minute == 13 * 60
    assert Closure.objects.get().public_note == ""
    assert not Availability.objects.exists()
    # Guests read neither (the closed days aside).
    assert APIClient().get("/api/working-hours/").status_code == 401
    assert APIClient().get("/api/closures/").status_code == 401
