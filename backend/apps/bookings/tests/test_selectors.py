"""Read-only queries of bookings that listeners use."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings.selectors import booking_slot_days
from apps.bookings.tests.factories import BookingFactory

pytestmark = pytest.mark.django_db


def test_booking_slot_days_names_each_day_once():
    """Two staff members' bookings at one time: one day (the model's
    ordering once made DISTINCT return a row per booking)."""
    first = BookingFactory()
    start = first.availability.start_time
    second = BookingFactory(
        availability=AvailabilityFactory(start_time=start, end_time=first.ends_at)
    )
    later = BookingFactory()

    with CaptureQueriesContext(connection) as captured:
        days = booking_slot_days([first.pk, second.pk, later.pk])

    assert days == {
        timezone.localdate(start),
        timezone.localdate(later.availability.start_time),
    }
    # One row per day, not per booking: no ordering column in the DISTINCT.
    (query,) = captured
    assert "ORDER BY" not in query["sql"]
    assert "created_at" not in query["sql"]


@pytest.mark.parametrize("hour", [22, 23, 0, 1])
def test_booking_slot_days_are_the_business_days(hour):
    """Near midnight the business's day is not UTC's (Lisbon in summer)."""
    start = datetime(2027, 7, 4, hour, 30, tzinfo=UTC)
    booking = BookingFactory(
        availability=AvailabilityFactory(
            start_time=start, end_time=start + timedelta(minutes=30)
        )
    )
    with timezone.override("Europe/Lisbon"):
        assert booking_slot_days([booking.pk]) == {timezone.localdate(start)}
