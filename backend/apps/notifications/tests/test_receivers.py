"""The outbox listens to booking events, inside the change's own transaction."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings import services
from apps.bookings.models import Booking, BookingEvent
from apps.bookings.selectors import events_load_bookings
from apps.bookings.signals import booking_events_recorded
from apps.bookings.tests.factories import unpaid_booking
from apps.notifications.models import Notification

pytestmark = pytest.mark.django_db

Kind = BookingEvent.Kind


@pytest.fixture
def announced():
    """Every announcement made while the test runs: (kinds, notify_guest)."""
    calls = []

    def listen(sender, *, events, notify_guest, **kwargs):
        calls.append(([event.kind for event in events], notify_guest))

    booking_events_recorded.connect(listen, dispatch_uid="test.announced")
    yield calls
    booking_events_recorded.disconnect(dispatch_uid="test.announced")


def confirmations(booking) -> int:
    return Notification.objects.filter(
        booking=booking, kind=Notification.Kind.PAYMENT_CONFIRMED
    ).count()


def test_a_committed_transition_has_exactly_one_email(service, slot, staff_user):
    booking = unpaid_booking(service, slot)
    services.booking_verify_payment(booking=booking, actor=staff_user)
    assert confirmations(booking) == 1


def test_a_rolled_back_transition_has_none(service, slot, staff_user):
    booking = unpaid_booking(service, slot)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.booking_verify_payment(booking=booking, actor=staff_user)
        assert confirmations(booking) == 1  # written, inside the transaction
        raise RuntimeError("the caller's transaction fails after the change")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.AWAITING_PAYMENT
    assert confirmations(booking) == 0
    assert not booking.events.filter(kind=Kind.PAYMENT_VERIFIED).exists()


def test_a_failing_listener_rolls_the_change_back(service, slot, staff_user):
    """The outbox guarantee the other way round: no change without its email."""
    booking = unpaid_booking(service, slot)

    def outbox_down(sender, **kwargs):
        raise RuntimeError("the outbox could not be written")

    booking_events_recorded.connect(outbox_down, dispatch_uid="test.outbox_down")
    try:
        with pytest.raises(RuntimeError, match="outbox"):
            services.booking_verify_payment(booking=booking, actor=staff_user)
    finally:
        booking_events_recorded.disconnect(dispatch_uid="test.outbox_down")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.AWAITING_PAYMENT
    assert not booking.events.filter(kind=Kind.PAYMENT_VERIFIED).exists()


def test_each_change_is_announced_once_with_its_kind(
    service, staff_member, staff_user, announced
):
    first, second = (AvailabilityFactory(staff=staff_member) for _ in range(2))
    booking = unpaid_booking(service, first)
    services.booking_update(
        booking=booking, actor=staff_user, changes={"notes": "Window seat"}
    )
    services.booking_reschedule(booking=booking, availability=second)
    services.booking_verify_payment(booking=booking, actor=staff_user)
    services.booking_cancel(booking=booking, actor=staff_user, reason="Ill")
    assert announced == [
        ([Kind.CREATED], True),
        ([Kind.CONTACT_CHANGED], True),
        ([Kind.RESCHEDULED], True),
        ([Kind.PAYMENT_VERIFIED], True),
        ([Kind.CANCELLED], True),
    ]
    moved = booking.events.get(kind=Kind.RESCHEDULED)
    assert moved.from_status == moved.to_status == Booking.Status.AWAITING_PAYMENT
    assert moved.data["from_availability"] == first.pk
    assert moved.data["to_availability"] == second.pk


def test_an_expiry_batch_is_announced_once_and_its_bookings_load_in_one_query(
    service, staff_member, announced, django_assert_num_queries
):
    for index in range(3):
        unpaid_booking(
            service,
            AvailabilityFactory(staff=staff_member),
            customer_email=f"guest{index}@example.com",
            customer_phone=f"91234567{index}",
        )
    announced.clear()
    seen = []

    def read_bookings(sender, *, events, **kwargs):
        # A batch is announced without its bookings (a listener that needs
        # none pays nothing); one that reads them loads the whole batch's,
        # with their relations, in one query, then reads without a query.
        with django_assert_num_queries(1):
            events_load_bookings(events)
        with django_assert_num_queries(0):
            seen.extend(
                (event.booking.status, event.booking.service.name)
                for event in events
                if event.booking.availability.start_time
            )

    booking_events_recorded.connect(read_bookings, dispatch_uid="test.read")
    try:
        later = timezone.now() + timedelta(hours=1)
        services.bookings_expire_unpaid(now=later, batch_size=2, notify=False)
    finally:
        booking_events_recorded.disconnect(dispatch_uid="test.read")
    assert announced == [([Kind.EXPIRED] * 2, False), ([Kind.EXPIRED], False)]
    assert seen == [(Booking.Status.CANCELLED, service.name)] * 3
    assert not Notification.objects.filter(
        kind=Notification.Kind.BOOKING_CANCELLED
    ).exists()
