"""Migration 0011: existing phone numbers to E.164, unparseable ones untouched."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from apps.bookings.models import Booking
from apps.bookings.tests.factories import BookingFactory

BEFORE = [("bookings", "0010_idempotency_key_in_booking_transaction")]
AFTER = [("bookings", "0011_phone_numbers_e164")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_existing_numbers_become_e164_and_the_rest_stay():
    typed = {
        "912 345 678": ("+351912345678", "351912345678"),
        "+44 20 7946 0958": ("+442079460958", "442079460958"),
        "(351) 912-345-679": ("+351912345679", "351912345679"),
        "ext. 12 please": ("ext. 12 please", "12"),
        "123": ("123", "123"),
    }
    # Made with today's schema, then taken back to the one before 0011.
    ids = {phone: BookingFactory().pk for phone in typed}
    _migrate(BEFORE)
    try:
        for phone, pk in ids.items():
            # As the old code stored them: as typed, with their digits.
            Booking.objects.filter(pk=pk).update(
                customer_phone=phone,
                customer_phone_digits="".join(c for c in phone if c.isdigit()),
            )

        _migrate(AFTER)

        for phone, expected in typed.items():
            # Only the columns this schema has.
            row = Booking.objects.values_list(
                "customer_phone", "customer_phone_digits"
            ).get(pk=ids[phone])
            assert row == expected
    finally:
        executor = MigrationExecutor(connection)
        _migrate(executor.loader.graph.leaf_nodes())
