"""Services of different lengths on one staff member's day: a booking takes
as many consecutive free slots as its service needs."""

from datetime import datetime, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from apps.availability.models import Availability
from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings import exceptions, services
from apps.bookings.models import Booking, BookingSlot
from apps.bookings.tests.factories import StaffUserFactory, unpaid_booking
from apps.bookings.tests.test_services import assert_is_booked_invariant
from apps.services.tests.factories import ServiceFactory
from apps.staff.tests.factories import StaffFactory
from common.tests.assertions import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def salon():
    """Rita offers a 45-minute manicure and a 30-minute polish; her morning is
    a 15-minute grid from 09:00 to 10:30 (six slots)."""
    manicure = ServiceFactory(name="Manicure", duration_minutes=45)
    polish = ServiceFactory(name="Polish", duration_minutes=30)
    rita = StaffFactory(name="Rita", services=[manicure, polish])
    start = (timezone.now() + timedelta(days=2)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    grid = [
        AvailabilityFactory(
            staff=rita,
            start_time=start + timedelta(minutes=15 * step),
            end_time=start + timedelta(minutes=15 * (step + 1)),
        )
        for step in range(6)
    ]
    return manicure, polish, rita, grid


def offered(service, day) -> list[str]:
    response = APIClient().get(
        "/api/bookings/availability/",
        {"service": service.pk, "date": day.isoformat(), "page_size": 100},
    )
    assert response.status_code == 200
    return [
        f"{timezone.localtime(datetime.fromisoformat(row['start_time'])):%H:%M}"
        for row in response.json()["results"]
    ]


def day_count(service, day) -> int:
    response = APIClient().get(
        "/api/bookings/availability/days/",
        {"service": service.pk, "from": day.isoformat(), "to": day.isoformat()},
    )
    days = response.json()["days"]
    return days[0]["count"] if days else 0


def book(service, slot, email="guest@example.com"):
    return APIClient().post(
        "/api/bookings/",
        {
            "service": service.pk,
            "availability": slot.pk,
            "customer_name": "Guest",
            "customer_email": email,
            "customer_phone": "+351 912 345 678",
        },
    )


def test_only_starts_followed_by_enough_free_slots_are_offered(salon):
    manicure, polish, _, grid = salon
    day = timezone.localdate(grid[0].start_time)

    assert offered(manicure, day) == ["09:00", "09:15", "09:30", "09:45"]
    assert offered(polish, day) == ["09:00", "09:15", "09:30", "09:45", "10:00"]
    assert day_count(manicure, day) == 4


def test_a_booking_takes_three_slots_and_cancelling_frees_all_three(salon):
    manicure, polish, _, grid = salon
    day = timezone.localdate(grid[0].start_time)

    response = book(manicure, grid[1])

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["start_time"] == grid[1].start_time.isoformat().replace("+00:00", "Z")
    assert body["end_time"] == grid[3].end_time.isoformat().replace("+00:00", "Z")
    booking = Booking.objects.get()
    held = BookingSlot.objects.filter(booking=booking, active=True)
    assert sorted(held.values_list("availability_id", flat=True)) == [
        slot.pk for slot in grid[1:4]
    ]
    assert [s.is_booked for s in Availability.objects.order_by("start_time")] == [
        False,
        True,
        True,
        True,
        False,
        False,
    ]
    # Every service's listing loses them at once.
    assert offered(manicure, day) == []
    assert offered(polish, day) == ["10:00"]
    assert_is_booked_invariant()

    services.booking_cancel(booking=booking, actor=StaffUserFactory())

    assert not Availability.objects.filter(is_booked=True).exists()
    assert not BookingSlot.objects.filter(active=True).exists()
    assert offered(manicure, day) == ["09:00", "09:15", "09:30", "09:45"]
    assert_is_booked_invariant()


def test_a_start_without_enough_time_is_refused(salon):
    manicure, polish, rita, grid = salon
    assert book(polish, grid[3], "a@example.com").status_code == 201

    # 09:15 would need 09:45, now taken: someone else's.
    assert_error(book(manicure, grid[1], "b@example.com"), 409, "slot_unavailable")
    # 10:15 has only its own quarter hour left: too short.
    assert_error(book(manicure, grid[5], "c@example.com"), 400, "slot_too_short")
    # A gap: a slot missing in the middle of the run.
    later = grid[-1].end_time + timedelta(hours=2)
    AvailabilityFactory(
        staff=rita, start_time=later, end_time=later + timedelta(minutes=15)
    )
    AvailabilityFactory(
        staff=rita,
        start_time=later + timedelta(minutes=30),
        end_time=later + timedelta(minutes=60),
    )
    first = Availability.objects.get(start_time=later)
    assert_error(book(manicure, first, "d@example.com"), 400, "slot_too_short")
    assert Booking.objects.count() == 1
    assert_is_booked_invariant()


def test_expiry_releases_every_slot_of_an_unpaid_booking(salon):
    manicure, _, _, grid = salon
    booking = unpaid_booking(manicure, grid[0], now=timezone.now() - timedelta(hours=1))

    result = services.bookings_expire_unpaid()

    assert (result.expired, result.slots_released) == (1, 3)
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CANCELLED
    assert not Availability.objects.filter(is_booked=True).exists()
    assert_is_booked_invariant()


def test_a_reschedule_moves_every_slot_even_onto_its_own(salon):
    manicure, polish, _, grid = salon
    booking = unpaid_booking(manicure, grid[0])

    # 15 minutes later: two of the new slots are its own.
    moved = services.booking_reschedule(
        booking=booking, availability=grid[1], actor=StaffUserFactory()
    )

    assert moved.ends_at == grid[3].end_time
    assert sorted(
        BookingSlot.objects.filter(booking=booking, active=True).values_list(
            "availability_id", flat=True
        )
    ) == [slot.pk for slot in grid[1:4]]
    assert [s.is_booked for s in Availability.objects.order_by("start_time")] == [
        False,
        True,
        True,
        True,
        False,
        False,
    ]
    assert_is_booked_invariant()
    # Onto a run with a slot someone else holds: refused, nothing moves.
    unpaid_booking(polish, grid[4], customer_email="other@example.com")
    with pytest.raises(exceptions.SlotUnavailable):
        services.booking_reschedule(
            booking=booking, availability=grid[2], actor=StaffUserFactory()
        )
    assert Booking.objects.get(pk=booking.pk).availability_id == grid[1].pk
    assert sorted(
        BookingSlot.objects.filter(booking=booking, active=True).values_list(
            "availability_id", flat=True
        )
    ) == [slot.pk for slot in grid[1:4]]
    assert_is_booked_invariant()


def test_the_database_refuses_a_second_active_hold_on_any_slot(salon):
    manicure, polish, _, grid = salon
    first = unpaid_booking(manicure, grid[0])
    second = unpaid_booking(polish, grid[4], customer_email="two@example.com")

    # The third slot of the first booking, held again by the second: refused
    # by the partial unique index, whichever slot of a booking it is.
    with pytest.raises(IntegrityError), transaction.atomic():
        BookingSlot.objects.create(booking=second, availability=grid[2])
    # A released hold does not count.
    services.booking_cancel(booking=first, actor=StaffUserFactory())
    BookingSlot.objects.create(booking=second, availability=grid[2], active=False)
    BookingSlot.objects.create(booking=second, availability=grid[2])
