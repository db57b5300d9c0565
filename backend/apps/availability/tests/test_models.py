"""Slot constraints the database enforces."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction

from apps.availability.tests.factories import AvailabilityFactory


@pytest.mark.django_db
def test_slot_must_end_after_it_starts():
    slot = AvailabilityFactory.build()
    slot.staff.save()
    slot.end_time = slot.start_time
    with pytest.raises(IntegrityError), transaction.atomic():
        slot.save()


@pytest.mark.django_db
def test_slot_start_is_unique_per_staff_member():
    slot = AvailabilityFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        AvailabilityFactory(
            staff=slot.staff,
            start_time=slot.start_time,
            end_time=slot.end_time + timedelta(minutes=30),
        )


@pytest.mark.django_db
@pytest.mark.postgresql_only
def test_overlapping_slots_are_excluded_on_postgresql():
    slot = AvailabilityFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        AvailabilityFactory(
            staff=slot.staff,
            start_time=slot.start_time + timedelta(minutes=30),
            end_time=slot.end_time + timedelta(minutes=30),
        )
    # Back to back is not an overlap.
    AvailabilityFactory(
        staff=slot.staff,
        start_time=slot.end_time,
        end_time=slot.end_time + timedelta(hours=1),
    )
    assert connection.vendor == "postgresql"
