"""Read-only queries of bookings that listeners use."""

import pytest

from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings.selectors import booking_slot_starts
from apps.bookings.tests.factories import BookingFactory

pytestmark = pytest.mark.django_db


def test_booking_slot_starts_names_each_moment_once():
    """Two staff members' bookings at one time: one start (the model's
    ordering once made DISTINCT return a row per booking)."""
    first = BookingFactory()
    start = first.availability.start_time
    second = BookingFactory(
        availability=AvailabilityFactory(start_time=start, end_time=first.ends_at)
    )
    later = BookingFactory()

    starts = booking_slot_starts([first.pk, second.pk, later.pk])

    assert sorted(starts) == sorted([start, later.availability.start_time])
