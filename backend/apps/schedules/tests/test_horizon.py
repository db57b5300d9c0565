"""The horizon job: idempotent, follows rule changes, never touches what is
booked or made by hand, and respects closures."""

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from apps.availability.models import Availability
from apps.availability.services import availability_generate
from apps.bookings.tests.factories import unpaid_booking
from apps.schedules import services
from apps.schedules.exceptions import HorizonTooLong
from apps.schedules.models import Closure, WorkingHours
from apps.schedules.tests.factories import WorkingHoursFactory
from common.jobs import job_named

pytestmark = pytest.mark.django_db

ZONE = timezone.get_default_timezone()
# A Monday at 07:00 in Lisbon, well inside the allowed calendar.
NOW = datetime(2027, 1, 4, 7, 0, tzinfo=ZONE)


def fill(days=14, now=NOW):
    return services.slots_fill_horizon(horizon_days=days, now=now)


def starts(staff) -> list[str]:
    return [
        f"{timezone.localtime(slot.start_time):%a %H:%M}"
        for slot in Availability.objects.filter(staff=staff).order_by("start_time")
    ]


def test_two_runs_make_the_slots_once_and_the_second_changes_nothing(staff_member):
    WorkingHoursFactory(staff=staff_member, weekday=0, slot_minutes=60)

    first = fill()
    second = fill()

    # Two Mondays in 14 days, four slots each.
    assert (first.created, first.removed) == (8, 0)
    assert (second.created, second.removed, second.closed, second.reopened) == (
        0,
        0,
        0,
        0,
    )
    assert Availability.objects.count() == 8
    assert starts(staff_member)[:4] == [
        "Mon 09:00",
        "Mon 10:00",
        "Mon 11:00",
        "Mon 12:00",
    ]


def test_the_job_is_one_of_the_scheduled_jobs(settings):
    job = job_named(settings.SCHEDULED_JOBS, "fill_slot_horizon")
    assert job.run().startswith("Slot horizon of 60 days")


def test_a_changed_rule_removes_the_free_slots_it_no_longer_makes(
    staff_member, service
):
    rule = WorkingHoursFactory(staff=staff_member, weekday=0, slot_minutes=60)
    fill()
    first_monday = Availability.objects.order_by("start_time").first()
    booked = unpaid_booking(service, first_monday, now=NOW)

    services.working_hours_update(
        rule=rule, changes={"start_minute": 10 * 60, "slot_minutes": 30}
    )
    result = fill()

    # The booked 09:00 slot stays; every other old slot went, and the new
    # grid fills the rest without overlapping the booked one.
    assert Availability.objects.filter(pk=first_monday.pk, is_booked=True).exists()
    assert booked.availability_id == first_monday.pk
    assert result.removed == 7
    assert starts(staff_member)[:7] == [
        "Mon 09:00",
        "Mon 10:00",
        "Mon 10:30",
        "Mon 11:00",
        "Mon 11:30",
        "Mon 12:00",
        "Mon 12:30",
    ]
    # A deleted rule takes its free slots with it on the next run.
    services.working_hours_delete(rule=WorkingHours.objects.get())
    fill()
    assert starts(staff_member) == ["Mon 09:00"]


def test_slots_made_by_hand_stay_and_the_rules_work_around_them(staff_member):
    availability_generate(
        staff=staff_member,
        first_day=date(2027, 1, 4),
        last_day=date(2027, 1, 4),
        day_start=time(9, 30),
        day_end=time(10, 30),
        every_minutes=60,
    )
    WorkingHoursFactory(staff=staff_member, weekday=0, slot_minutes=60)

    fill(days=1)
    fill(days=1)

    by_source = {
        f"{timezone.localtime(s.start_time):%H:%M}": s.source
        for s in Availability.objects.all()
    }
    assert by_source == {
        "09:30": Availability.Source.MANUAL,
        "11:00": Availability.Source.WORKING_HOURS,
        "12:00": Availability.Source.WORKING_HOURS,
    }
    services.working_hours_delete(rule=WorkingHours.objects.get())
    fill(days=1)
    assert list(by_source)[:1] == [
        f"{timezone.localtime(s.start_time):%H:%M}" for s in Availability.objects.all()
    ]


def test_a_closure_keeps_the_job_from_making_slots_until_it_is_deleted(staff_member):
    WorkingHoursFactory(staff=staff_member, weekday=0, slot_minutes=60)
    start = datetime(2027, 1, 11, 0, 0, tzinfo=ZONE)  # the second Monday
    closure = services.closure_create(
        starts_at=start,
        ends_at=start + timedelta(days=1),
        kind=Closure.Kind.HOLIDAY,
        public_note="A holiday",
    ).closure

    fill()
    fill()
    assert Availability.objects.count() == 4

    services.closure_delete(closure=closure)
    result = fill()
    assert result.created == 4
    assert Availability.objects.filter(is_closed=False).count() == 8


def test_the_job_sets_the_closed_flags_from_the_closures(staff_member):
    WorkingHoursFactory(staff=staff_member, weekday=0, slot_minutes=60)
    fill()
    slot = Availability.objects.order_by("start_time").first()
    # A closure written without the services (a restore, a bug): the job
    # still hides its slots, and opens them once it is gone.
    closure = Closure.objects.create(
        starts_at=slot.start_time,
        ends_at=slot.end_time,
        kind=Closure.Kind.CLOSED,
    )
    assert fill().closed == 1
    assert Availability.objects.get(pk=slot.pk).is_closed
    closure.delete()
    assert fill().reopened == 1


def test_breaks_valid_periods_and_buffers(staff_member):
    WorkingHoursFactory(
        staff=staff_member,
        weekday=0,
        start_minute=9 * 60,
        end_minute=11 * 60,
        slot_minutes=45,
        buffer_minutes=15,
        valid_until=date(2027, 1, 4),
    )
    WorkingHoursFactory(
        staff=staff_member,
        weekday=0,
        start_minute=14 * 60,
        end_minute=15 * 60,
        slot_minutes=30,
        valid_from=date(2027, 1, 11),
    )
    fill()
    made = [
        (timezone.localtime(s.start_time), timezone.localtime(s.end_time))
        for s in Availability.objects.all()
    ]
    assert [f"{start:%d %H:%M}-{end:%H:%M}" for start, end in made] == [
        "04 09:00-09:45",
        "04 10:00-10:45",
        "11 14:00-14:30",
        "11 14:30-15:00",
    ]


def test_the_wall_clock_holds_across_daylight_saving(staff_member):
    # 28 March 2027: Lisbon moves from 01:00 to 02:00. A Sunday rule over the
    # night keeps 09:00 at 09:00 and makes no slot in the hour that is skipped.
    WorkingHoursFactory(
        staff=staff_member,
        weekday=6,
        start_minute=0,
        end_minute=10 * 60,
        slot_minutes=60,
    )
    fill(days=1, now=datetime(2027, 3, 27, 23, 30, tzinfo=ZONE) + timedelta(hours=1))
    local = [
        f"{timezone.localtime(s.start_time):%H:%M}" for s in Availability.objects.all()
    ]
    assert "01:00" not in local
    assert local[-1] == "09:00"
    assert local[0] == "02:00"


def test_a_horizon_over_366_days_is_refused():
    # The setting is refused at start (config/tests/test_settings.py).
    with pytest.raises(HorizonTooLong):
        fill(days=367)
    assert not Availability.objects.exists()
