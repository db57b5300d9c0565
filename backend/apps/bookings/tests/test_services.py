"""The domain layer: booking creation, transitions, slot writes, expiry core."""

import itertools
from datetime import timedelta

import pytest
from django.db.models import Exists, OuterRef
from django.test import override_settings
from django.utils import timezone

from apps.availability.models import Availability
from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings import exceptions, services
from apps.bookings.models import (
    ACTIVE_STATUSES,
    ALLOWED_TRANSITIONS,
    Booking,
    BookingEvent,
    BookingSlot,
)
from apps.bookings.tests.factories import BookingFactory, StaffUserFactory
from apps.services.tests.factories import ServiceFactory
from apps.staff.tests.factories import StaffFactory

Status = Booking.Status
pytestmark = pytest.mark.django_db


def assert_is_booked_invariant():
    """`is_booked` equals "an active booking holds it", for every slot; every
    active booking holds its first slot, and only active bookings hold any."""
    held = BookingSlot.objects.filter(
        availability=OuterRef("pk"), active=True, booking__status__in=ACTIVE_STATUSES
    )
    mismatched = Availability.objects.exclude(is_booked=Exists(held))
    assert list(mismatched) == []
    first_not_held = Booking.objects.filter(status__in=ACTIVE_STATUSES).exclude(
        Exists(
            BookingSlot.objects.filter(
                booking=OuterRef("pk"),
                availability=OuterRef("availability_id"),
                active=True,
            )
        )
    )
    assert list(first_not_held) == []
    assert not BookingSlot.objects.filter(
        active=True, booking__status=Booking.Status.CANCELLED
    ).exists()


_guest_numbers = itertools.count()


def create(service, slot, **overrides):
    """Book as a new guest each time (one contact may hold only 2 unpaid)."""
    number = next(_guest_numbers)
    fields = {
        "service_id": service.pk,
        "availability_id": slot.pk,
        "customer_name": "Joana Silva",
        "customer_email": f"joana{number}@example.com",
        "customer_phone": f"+351 91{number:07d}",
    }
    fields.update(overrides)
    return services.booking_create(**fields)


def booking_in(status, service, slot, staff_user):
    """Reach `status` through the domain layer, as production does."""
    booking = create(service, slot)
    if status in (Status.CONFIRMED, Status.COMPLETED):
        booking = services.booking_verify_payment(booking=booking, actor=staff_user)
    if status == Status.COMPLETED:
        booking = services.booking_complete(
            booking=booking, actor=staff_user, now=slot.start_time
        )
    if status == Status.CANCELLED:
        booking = services.booking_cancel(booking=booking, actor=staff_user)
    return booking


# --- creation -----------------------------------------------------------------


def test_create_books_the_slot_awaiting_payment(service, slot):
    now = timezone.now()
    booking = create(service, slot, notes="Window seat", now=now)

    booking.refresh_from_db()
    slot.refresh_from_db()
    assert booking.status == Status.AWAITING_PAYMENT
    assert booking.staff == slot.staff
    assert booking.amount_due == service.price
    assert booking.created_at == now
    assert booking.payment_expires_at == now + timedelta(minutes=30)
    assert booking.notes == "Window seat"
    assert slot.is_booked
    event = booking.events.get()
    assert (event.from_status, event.to_status, event.source) == (
        "",
        Status.AWAITING_PAYMENT,
        "guest",
    )
    assert_is_booked_invariant()


@override_settings(BOOKING_PAYMENT_TIMEOUT_MINUTES=7)
def test_payment_deadline_follows_the_timeout_setting(service, slot):
    now = timezone.now()
    booking = create(service, slot, now=now)
    assert booking.payment_expires_at - booking.created_at == timedelta(minutes=7)


def test_amount_due_is_the_price_when_booked(service, slot):
    booking = create(service, slot)
    service.price = service.price * 2
    service.save()
    booking.refresh_from_db()
    assert booking.amount_due * 2 == service.price


def test_create_refuses_a_booked_slot(service, slot):
    first = create(service, slot)
    with pytest.raises(exceptions.SlotUnavailable):
        create(service, slot, customer_email="other@example.com")
    assert Booking.objects.get() == first


@pytest.mark.django_db(transaction=True)
def test_create_refuses_a_slot_whose_flag_is_stale(service, slot):
    """The partial unique constraint backs the flag up: still a 409, no 500.

    Committed transactions, as in production: the clash aborts the booking's
    transaction, and the error is raised once it has rolled back."""
    create(service, slot)
    Availability.objects.filter(pk=slot.pk).update(is_booked=False)
    with pytest.raises(exceptions.SlotUnavailable):
        create(service, slot)
    assert Booking.objects.count() == 1


def test_create_after_cancellation_rebooks_the_slot(service, slot, staff_user):
    first = create(service, slot)
    services.booking_cancel(booking=first, actor=staff_user, reason="guest called")
    second = create(service, slot)
    slot.refresh_from_db()
    assert second.status == Status.AWAITING_PAYMENT
    assert slot.is_booked
    assert_is_booked_invariant()


@pytest.mark.parametrize(
    ("setup", "error"),
    [
        (lambda s, slot: s.__class__.objects.filter(pk=s.pk).update(is_active=False),
         exceptions.InactiveService),
        (lambda s, slot: slot.staff.__class__.objects.filter(
            pk=slot.staff_id).update(is_active=False),
         exceptions.InactiveStaff),
        (lambda s, slot: slot.staff.services.clear(), exceptions.ServiceNotOffered),
        (lambda s, slot: s.__class__.objects.filter(pk=s.pk).update(
            duration_minutes=61), exceptions.SlotTooShort),
        (lambda s, slot: Availability.objects.filter(pk=slot.pk).update(
            start_time=timezone.now() - timedelta(minutes=1),
            end_time=timezone.now() + timedelta(hours=1)),
         exceptions.SlotInPast),
    ],
    ids=["inactive_service", "inactive_staff", "not_offered", "too_short", "past"],
)  # fmt: skip
def test_create_rechecks_every_rule_inside_the_transaction(service, slot, setup, error):
    # The caller's objects are stale: the domain layer must read fresh rows.
    setup(service, slot)
    with pytest.raises(error) as caught:
        create(service, slot)
    assert caught.value.status_code == 400
    assert Booking.objects.count() == 0
    slot.refresh_from_db()
    assert not slot.is_booked


def test_create_refuses_a_staff_member_who_does_not_own_the_slot(service, slot):
    other = StaffFactory(services=[service])
    with pytest.raises(exceptions.StaffMismatch):
        create(service, slot, staff_id=other.pk)
    assert create(service, slot, staff_id=slot.staff_id).staff == slot.staff


def test_slot_exactly_as_long_as_the_service_is_bookable(service, slot):
    assert slot.duration_minutes == service.duration_minutes
    assert create(service, slot).pk


# --- transitions -------------------------------------------------------------

ACTIONS = {
    Status.CONFIRMED: lambda b, user: services.booking_verify_payment(
        booking=b, actor=user
    ),
    Status.CANCELLED: lambda b, user: services.booking_cancel(booking=b, actor=user),
    # At the start: completing is refused before (test below).
    Status.COMPLETED: lambda b, user: services.booking_complete(
        booking=b, actor=user, now=b.availability.start_time
    ),
}


@pytest.mark.parametrize("from_status", Status.values)
@pytest.mark.parametrize("to_status", list(ACTIONS))
def test_every_transition_follows_the_table(
    service, slot, staff_user, from_status, to_status
):
    booking = booking_in(from_status, service, slot, staff_user)
    events_before = booking.events.count()
    if to_status in ALLOWED_TRANSITIONS[from_status]:
        result = ACTIONS[to_status](booking, staff_user)
        assert result.status == to_status
        assert booking.events.count() == events_before + 1
        event = booking.events.last()
        assert (event.from_status, event.to_status) == (from_status, to_status)
        assert event.actor == staff_user
    else:
        with pytest.raises(exceptions.InvalidTransition) as caught:
            ACTIONS[to_status](booking, staff_user)
        assert caught.value.status_code == 409
        assert booking.events.count() == events_before
        booking.refresh_from_db()
        assert booking.status == from_status
    assert_is_booked_invariant()


def test_verify_payment_records_who_and_when(service, slot, staff_user):
    booking = create(service, slot)
    now = timezone.now() + timedelta(minutes=5)
    services.booking_verify_payment(booking=booking, actor=staff_user, now=now)
    booking.refresh_from_db()
    assert booking.status == Status.CONFIRMED
    assert booking.payment_verified_at == now
    assert booking.payment_verified_by == staff_user
    assert booking.events.last().source == "staff"


def test_cancel_releases_the_slot_and_keeps_the_reason(service, slot, staff_user):
    booking = booking_in(Status.CONFIRMED, service, slot, staff_user)
    services.booking_cancel(booking=booking, actor=staff_user, reason="Sick")
    booking.refresh_from_db()
    slot.refresh_from_db()
    assert booking.status == Status.CANCELLED
    assert booking.cancel_reason == "Sick"
    assert not slot.is_booked
    assert booking.events.last().note == "Sick"


def test_cancel_is_refused_once_the_slot_has_started(service, slot, staff_user):
    booking = booking_in(Status.CONFIRMED, service, slot, staff_user)
    with pytest.raises(exceptions.BookingAlreadyStarted):
        services.booking_cancel(booking=booking, actor=staff_user, now=slot.start_time)
    booking.refresh_from_db()
    assert booking.status == Status.CONFIRMED


def test_complete_is_refused_before_the_appointment_starts(service, slot, staff_user):
    booking = booking_in(Status.CONFIRMED, service, slot, staff_user)
    with pytest.raises(exceptions.BookingNotStarted) as caught:
        services.booking_complete(
            booking=booking,
            actor=staff_user,
            now=slot.start_time - timedelta(microseconds=1),
        )
    assert (caught.value.status_code, caught.value.code) == (409, "booking_not_started")
    booking.refresh_from_db()
    assert booking.status == Status.CONFIRMED
    assert booking.events.last().kind == "payment_verified"


def test_completed_booking_cannot_be_edited_or_deleted(service, slot, staff_user):
    booking = booking_in(Status.COMPLETED, service, slot, staff_user)
    before = Booking.objects.values().get(pk=booking.pk)
    with pytest.raises(exceptions.BookingImmutable):
        services.booking_update(
            booking=booking, actor=staff_user, changes={"customer_name": "X"}
        )
    with pytest.raises(exceptions.BookingImmutable):
        services.booking_delete(booking=booking, actor=staff_user)
    assert Booking.objects.values().get(pk=booking.pk) == before


def test_update_edits_contact_fields(service, slot, staff_user):
    booking = create(service, slot)
    services.booking_update(
        booking=booking,
        actor=staff_user,
        changes={"customer_phone": "+351 999 999 999", "notes": "Allergic"},
    )
    booking.refresh_from_db()
    assert booking.customer_phone == "+351 999 999 999"
    assert booking.notes == "Allergic"
    # An edit is no transition, but it is recorded: which fields, not values.
    edit = booking.events.get(kind=BookingEvent.Kind.CONTACT_CHANGED)
    assert (edit.from_status, edit.to_status) == ("awaiting_payment",) * 2
    assert edit.data == {"fields": ["customer_phone", "notes"]}
    assert "999" not in edit.note


def test_update_status_runs_the_transition_rules(service, slot, staff_user):
    booking = create(service, slot)
    services.booking_update(
        booking=booking, actor=staff_user, changes={"status": Status.CONFIRMED}
    )
    booking.refresh_from_db()
    assert booking.payment_verified_by == staff_user
    with pytest.raises(exceptions.InvalidTransition):
        services.booking_update(
            booking=booking,
            actor=staff_user,
            changes={"status": Status.AWAITING_PAYMENT, "notes": "rolled back"},
        )
    booking.refresh_from_db()
    assert booking.status == Status.CONFIRMED
    assert booking.notes == ""  # the whole update is one transaction


def test_delete_releases_the_slot(service, slot, staff_user):
    booking = create(service, slot)
    services.booking_delete(booking=booking, actor=staff_user)
    slot.refresh_from_db()
    assert not Booking.objects.exists()
    assert not slot.is_booked


# --- expiry core ---------------------------------------------------------------


def test_expiry_cancels_only_unpaid_bookings_past_their_deadline(service, staff_user):
    staff = StaffFactory(services=[service])
    slots = AvailabilityFactory.create_batch(4, staff=staff)
    now = timezone.now()
    expired = create(service, slots[0], now=now - timedelta(minutes=31))
    at_deadline = create(service, slots[1], now=now - timedelta(minutes=30))
    fresh = create(service, slots[2], now=now - timedelta(minutes=29))
    paid = create(service, slots[3], now=now - timedelta(hours=2))
    services.booking_verify_payment(booking=paid, actor=staff_user)

    result = services.bookings_expire_unpaid(now=now)

    assert result.expired == 2
    statuses = dict(Booking.objects.values_list("pk", "status"))
    assert statuses == {
        expired.pk: Status.CANCELLED,
        at_deadline.pk: Status.CANCELLED,
        fresh.pk: Status.AWAITING_PAYMENT,
        paid.pk: Status.CONFIRMED,
    }
    event = expired.events.last()
    assert (event.source, event.note, event.actor) == (
        "system",
        "payment timeout",
        None,
    )
    assert_is_booked_invariant()
    assert services.bookings_expire_unpaid(now=now).expired == 0


def test_expiry_applies_after_the_slot_started(service, slot):
    """A guest who booked just before the slot still loses it unpaid."""
    booking = create(service, slot)
    services.bookings_expire_unpaid(now=slot.end_time + timedelta(days=1))
    booking.refresh_from_db()
    assert booking.status == Status.CANCELLED


# --- slots ---------------------------------------------------------------------


def test_staff_user_factory_is_staff():
    assert StaffUserFactory().is_staff
    assert ServiceFactory().is_active
    assert BookingFactory().availability.is_booked
