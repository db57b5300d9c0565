"""Reschedules racing creates and each other, in real threads on PostgreSQL."""

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings import services
from apps.bookings.models import ACTIVE_STATUSES, Booking
from apps.bookings.tests.factories import unpaid_booking
from apps.bookings.tests.test_services import assert_is_booked_invariant
from apps.bookings.tests.threads import in_threads
from apps.services.tests.factories import ServiceFactory
from apps.staff.tests.factories import StaffFactory
from common.exceptions import DomainError

pytestmark = [
    pytest.mark.postgresql_only,
    pytest.mark.django_db(transaction=True),
]
ROUNDS = 8


@pytest.fixture
def catalogue():
    service = ServiceFactory(duration_minutes=60)
    return service, StaffFactory(services=[service])


_hours = itertools.count()


def slots(staff, count):
    """`count` one-hour slots, each two hours after the last one made."""
    base = timezone.now().replace(microsecond=0) + timedelta(days=2)
    return [
        AvailabilityFactory(
            staff=staff,
            start_time=base + timedelta(hours=2 * index),
            end_time=base + timedelta(hours=2 * index + 1),
        )
        for index in (next(_hours) for _ in range(count))
    ]


_phones = itertools.count(1000000)


def book(service, slot, tag):
    """A guest's unpaid booking; its own email and phone, so the per-contact
    limit never interferes."""
    return unpaid_booking(
        service,
        slot,
        customer_email=f"{tag}@example.com",
        customer_phone=f"+351 91{next(_phones):07d}",
    )


def outcome(operation):
    try:
        operation()
        return "ok"
    except DomainError as error:
        return error.code


def assert_one_active_booking_per_slot():
    for availability_id in Booking.objects.filter(
        status__in=ACTIVE_STATUSES
    ).values_list("availability_id", flat=True):
        assert (
            Booking.objects.filter(
                availability_id=availability_id, status__in=ACTIVE_STATUSES
            ).count()
            == 1
        )


def test_reschedule_and_create_race_for_one_slot(catalogue):
    service, staff = catalogue
    tallies = {"reschedule": 0, "create": 0}
    for round_number in range(ROUNDS):
        current, target = slots(staff, 2)
        booking = book(service, current, f"moving{round_number}")

        def race(index, booking=booking, target=target, round_number=round_number):
            if index == 0:
                return outcome(
                    lambda: services.booking_reschedule(
                        booking=booking, availability=target
                    )
                )
            response = APIClient().post(
                "/api/bookings/",
                {
                    "service": service.pk,
                    "availability": target.pk,
                    "customer_name": "Racer",
                    "customer_email": f"racer{round_number}@example.com",
                    "customer_phone": f"+351 92{next(_phones):07d}",
                },
                format="json",
                # A client of its own each round: the creates that win would
                # otherwise fill one client's unpaid limit, and a later
                # round's create would be refused for that, not the race.
                REMOTE_ADDR=f"10.27.{round_number}.1",
            )
            return "ok" if response.status_code == 201 else response.json()["code"]

        moved, created = in_threads(2, race)
        assert sorted([moved, created]) == ["ok", "slot_unavailable"], (
            moved,
            created,
        )
        holder = Booking.objects.get(availability=target, status__in=ACTIVE_STATUSES)
        if moved == "ok":
            tallies["reschedule"] += 1
            assert holder.pk == booking.pk
            current.refresh_from_db()
            assert not current.is_booked
        else:
            tallies["create"] += 1
            assert holder.pk != booking.pk
            assert Booking.objects.get(pk=booking.pk).availability_id == current.pk
        assert_is_booked_invariant()
    assert_one_active_booking_per_slot()
    # Both sides won some rounds: the threads really overlapped.
    print("winners:", tallies)


def test_two_reschedules_swapping_slots_do_not_deadlock(catalogue):
    """A wants B's slot while B wants A's: both lock both slots in primary-key
    order, so neither waits for the other in a cycle; each target is taken,
    so both are refused."""
    service, staff = catalogue
    for round_number in range(ROUNDS):
        first_slot, second_slot = slots(staff, 2)
        first = book(service, first_slot, f"a{round_number}")
        second = book(service, second_slot, f"b{round_number}")
        moves = [(first, second_slot), (second, first_slot)]
        results = in_threads(
            2,
            lambda index, moves=moves: outcome(
                lambda: services.booking_reschedule(
                    booking=moves[index][0], availability=moves[index][1]
                )
            ),
            timeout=30,
        )
        assert results == ["slot_unavailable", "slot_unavailable"]
        assert_is_booked_invariant()


def test_a_rotation_of_reschedules_ends_consistent(catalogue):
    """A moves to a free slot while B moves into A's: A always succeeds; B
    succeeds when A committed first, else gets 409. No deadlock either way."""
    service, staff = catalogue
    seen = set()
    for round_number in range(ROUNDS):
        first_slot, second_slot, free_slot = slots(staff, 3)
        first = book(service, first_slot, f"a{round_number}")
        second = book(service, second_slot, f"b{round_number}")
        moves = [(first, free_slot), (second, first_slot)]
        results = in_threads(
            2,
            lambda index, moves=moves: outcome(
                lambda: services.booking_reschedule(
                    booking=moves[index][0], availability=moves[index][1]
                )
            ),
            timeout=30,
        )
        assert results[0] == "ok"
        assert results[1] in ("ok", "slot_unavailable")
        seen.add(results[1])
        assert Booking.objects.get(pk=first.pk).availability_id == free_slot.pk
        assert_is_booked_invariant()
    assert_one_active_booking_per_slot()
    print("second mover outcomes:", seen)
