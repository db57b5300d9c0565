"""`in_ids` finds what `in` finds, on foreign keys and primary keys alike."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.bookings.models import BookingSlot
from apps.bookings.tests.factories import BookingFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("pick", [slice(0, 0), slice(0, 1), slice(1, 3)])
def test_in_ids_matches_in(pick):
    bookings = [BookingFactory() for _ in range(3)]
    ids = [booking.pk for booking in bookings][pick]
    slots = BookingSlot.objects.order_by("pk")

    assert list(slots.filter(booking_id__in_ids=ids)) == list(
        slots.filter(booking_id__in=ids)
    )
    assert list(slots.filter(booking__in_ids=ids)) == list(
        slots.filter(booking__in=ids)
    )
    assert list(slots.filter(pk__in_ids=[*ids, None])) == list(slots.filter(pk__in=ids))


def test_in_ids_sends_one_value_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("elsewhere it is `in`")
    ids = [booking.pk for booking in (BookingFactory(), BookingFactory())]
    with CaptureQueriesContext(connection) as captured:
        assert BookingSlot.objects.filter(booking_id__in_ids=ids).count() == 2
    first, second = ids
    assert f"= ANY('{{{first},{second}}}'::bigint[])" in captured[0]["sql"]


def test_in_ids_refuses_what_is_no_key():
    with pytest.raises((TypeError, ValueError)):
        list(BookingSlot.objects.filter(pk__in_ids=["1; DROP TABLE x"]))
