"""Slot writes in the domain layer: overlap, booked slots, generation."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from django.utils import timezone

from apps.availability import exceptions, services
from apps.availability.models import Availability
from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings import services as booking_services
from apps.bookings.models import Booking
from apps.staff.tests.factories import StaffFactory

Status = Booking.Status
pytestmark = pytest.mark.django_db


def test_slot_create_refuses_overlap_and_reversed_times(staff_member):
    start = timezone.now() + timedelta(days=3)
    services.availability_create(
        staff=staff_member, start_time=start, end_time=start + timedelta(hours=1)
    )
    with pytest.raises(exceptions.SlotOverlap):
        services.availability_create(
            staff=staff_member,
            start_time=start + timedelta(minutes=30),
            end_time=start + timedelta(minutes=90),
        )
    with pytest.raises(exceptions.InvalidSlotTimes):
        services.availability_create(
            staff=staff_member, start_time=start, end_time=start
        )
    # Back to back, and the same time for another staff member, are fine.
    services.availability_create(
        staff=staff_member,
        start_time=start + timedelta(hours=1),
        end_time=start + timedelta(hours=2),
    )
    services.availability_create(
        staff=StaffFactory(), start_time=start, end_time=start + timedelta(hours=1)
    )
    assert Availability.objects.count() == 3


def test_slot_holding_an_active_booking_cannot_move_or_go(booking, slot, staff_user):
    later = slot.start_time + timedelta(hours=5)
    with pytest.raises(exceptions.SlotHasActiveBooking):
        services.availability_update(
            availability=slot,
            changes={"start_time": later, "end_time": later + timedelta(hours=1)},
        )
    with pytest.raises(exceptions.SlotHasActiveBooking):
        services.availability_update(
            availability=slot, changes={"staff": StaffFactory()}
        )
    with pytest.raises(exceptions.SlotHasActiveBooking):
        services.availability_delete(availability=slot)
    # An unchanged save is not a move.
    services.availability_update(
        availability=slot, changes={"start_time": slot.start_time}
    )

    booking_services.booking_cancel(booking=booking, actor=staff_user)
    services.availability_update(
        availability=slot,
        changes={"start_time": later, "end_time": later + timedelta(hours=1)},
    )
    services.availability_delete(availability=slot)
    booking.refresh_from_db()
    assert booking.availability is None
    assert booking.status == Status.CANCELLED


@override_settings(TIME_ZONE="Europe/Lisbon")
def test_generated_slots_keep_wall_clock_times_across_daylight_saving(staff_member):
    # Portugal leaves summer time on the night of 25 October 2026.
    lisbon = ZoneInfo("Europe/Lisbon")
    created = services.availability_generate(
        staff=staff_member,
        first_day=date(2026, 10, 24),
        last_day=date(2026, 10, 26),
        day_start=time(9, 0),
        day_end=time(12, 0),
        every_minutes=60,
    )
    assert created == 9
    starts = [
        slot.start_time.astimezone(lisbon)
        for slot in Availability.objects.filter(staff=staff_member)
    ]
    assert {start.time() for start in starts} == {time(9), time(10), time(11)}
    utc_hours = {
        start.date(): start.astimezone(ZoneInfo("UTC")).hour
        for start in starts
        if start.time() == time(9)
    }
    assert utc_hours == {
        date(2026, 10, 24): 8,
        date(2026, 10, 25): 9,
        date(2026, 10, 26): 9,
    }
    again = services.availability_generate(
        staff=staff_member,
        first_day=date(2026, 10, 24),
        last_day=date(2026, 10, 26),
        day_start=time(9, 0),
        day_end=time(12, 0),
        every_minutes=60,
    )
    assert again == 0


def test_generated_slots_skip_overlaps_and_unchosen_weekdays(staff_member):
    zone = timezone.get_default_timezone()
    monday = date(2030, 1, 7)
    AvailabilityFactory(
        staff=staff_member,
        start_time=datetime.combine(monday, time(9, 30), tzinfo=zone),
        end_time=datetime.combine(monday, time(10, 30), tzinfo=zone),
    )
    created = services.availability_generate(
        staff=staff_member,
        first_day=monday,
        last_day=monday + timedelta(days=6),
        day_start=time(9, 0),
        day_end=time(12, 0),
        every_minutes=60,
        weekdays=frozenset({0, 2}),
    )
    # Monday: 09:00 and 10:00 overlap the 09:30 slot, 11:00 is free; Wednesday: 3.
    assert created == 4
