"""Moving a booking to another slot: the domain function and both endpoints."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings import exceptions, services
from apps.bookings.models import Booking, BookingEvent
from apps.bookings.tests.factories import StaffUserFactory, unpaid_booking
from apps.bookings.tests.test_services import assert_is_booked_invariant
from apps.notifications.services import notifications_send_due
from apps.services.tests.factories import ServiceFactory
from apps.staff.tests.factories import StaffFactory
from common.tests.assertions import assert_error

pytestmark = pytest.mark.django_db
Status = Booking.Status


def slot_in(staff, *, days=2, hours=0, minutes=60):
    start = timezone.now().replace(microsecond=0) + timedelta(days=days, hours=hours)
    return AvailabilityFactory(
        staff=staff, start_time=start, end_time=start + timedelta(minutes=minutes)
    )


@pytest.fixture
def booking(service, slot):
    return unpaid_booking(service, slot)


@pytest.fixture
def target(staff_member):
    return slot_in(staff_member, days=3)


def test_reschedule_moves_the_booking_and_keeps_everything_else(booking, slot, target):
    desk = StaffUserFactory(role="desk")
    before = Booking.objects.get(pk=booking.pk)
    moved = services.booking_reschedule(
        booking=booking, availability=target, actor=desk
    )
    notifications_send_due()  # the email was queued with the move

    moved = Booking.objects.get(pk=moved.pk)
    assert moved.availability_id == target.pk
    for name in (
        "status",
        "reference",
        "amount_due",
        "payment_expires_at",
        "payment_verified_at",
        "created_at",
    ):
        assert getattr(moved, name) == getattr(before, name), name
    slot.refresh_from_db()
    target.refresh_from_db()
    assert (slot.is_booked, target.is_booked) == (False, True)
    event = moved.events.order_by("-pk").first()
    assert event.from_status == event.to_status == Status.AWAITING_PAYMENT
    assert event.actor == desk and event.source == BookingEvent.Source.STAFF
    start_old = timezone.localtime(slot.start_time).strftime("%Y-%m-%d %H:%M")
    start_new = timezone.localtime(target.start_time).strftime("%Y-%m-%d %H:%M")
    assert start_old in event.note and start_new in event.note
    assert [m.to for m in mail.outbox if "moved" in m.subject] == [
        [booking.customer_email]
    ]
    assert_is_booked_invariant()


def test_staff_follows_the_slot(service, booking):
    other = StaffFactory(services=[service])
    target = slot_in(other, days=4)
    moved = services.booking_reschedule(booking=booking, availability=target)
    assert Booking.objects.get(pk=moved.pk).staff_id == other.pk


def test_confirmed_booking_stays_confirmed(booking, target):
    services.booking_verify_payment(booking=booking, actor=None)
    services.booking_reschedule(booking=booking, availability=target)
    booking.refresh_from_db()
    assert booking.status == Status.CONFIRMED
    assert booking.payment_verified_at is not None


@pytest.mark.parametrize(
    ("make_target", "error"),
    [
        (lambda s, st: slot_in(StaffFactory(), days=4), exceptions.ServiceNotOffered),
        (lambda s, st: slot_in(st, days=4, minutes=30), exceptions.SlotTooShort),
        (
            lambda s, st: slot_in(StaffFactory(services=[s], is_active=False), days=4),
            exceptions.InactiveStaff,
        ),
        (lambda s, st: slot_in(st, days=-1), exceptions.SlotInPast),
    ],
    ids=["not offered", "too short", "inactive staff", "in the past"],
)
def test_targets_that_do_not_fit_are_refused(
    service, staff_member, booking, slot, make_target, error
):
    target = make_target(service, staff_member)
    with pytest.raises(error):
        services.booking_reschedule(booking=booking, availability=target)
    assert Booking.objects.get(pk=booking.pk).availability_id == slot.pk
    assert_is_booked_invariant()


def test_a_taken_slot_is_refused(service, booking, target):
    unpaid_booking(service, target, customer_email="other@example.com")
    with pytest.raises(exceptions.SlotUnavailable):
        services.booking_reschedule(booking=booking, availability=target)
    assert_is_booked_invariant()


def test_final_statuses_cannot_move(booking, target):
    services.booking_cancel(booking=booking, actor=None)
    with pytest.raises(exceptions.InvalidTransition):
        services.booking_reschedule(booking=booking, availability=target)


def test_not_after_the_appointment_started(booking, target, slot):
    with pytest.raises(exceptions.BookingAlreadyStarted):
        services.booking_reschedule(
            booking=booking, availability=target, now=slot.start_time
        )


def test_the_same_slot_is_a_400(booking, slot):
    with pytest.raises(exceptions.SameSlot):
        services.booking_reschedule(booking=booking, availability=slot)


# --- staff endpoint -------------------------------------------------------------


def test_staff_endpoint(staff_client, booking, target):
    response = staff_client.post(
        f"/api/bookings/{booking.pk}/reschedule/", {"availability": target.pk}
    )
    assert response.status_code == 200, response.content
    assert response.json()["availability"] == target.pk
    assert response.json()["events"][-1]["note"].startswith("Rescheduled from")


def test_staff_endpoint_errors(staff_client, service, staff_member, booking, target):
    url = f"/api/bookings/{booking.pk}/reschedule/"
    assert_error(staff_client.post(url, {}), 400, "invalid")
    assert_error(staff_client.post(url, {"availability": 10**12}), 400, "invalid")
    short = slot_in(staff_member, days=5, minutes=15)
    body = assert_error(
        staff_client.post(url, {"availability": short.pk}), 400, "slot_too_short"
    )
    assert "availability" in body["errors"]
    unpaid_booking(service, target, customer_email="x@example.com")
    assert_error(
        staff_client.post(url, {"availability": target.pk}), 409, "slot_unavailable"
    )
    services.booking_cancel(booking=booking, actor=None)
    free = slot_in(staff_member, days=6)
    assert_error(
        staff_client.post(url, {"availability": free.pk}), 409, "invalid_transition"
    )


def test_staff_endpoint_after_start_is_409(staff_client, service, staff_member):
    started = slot_in(staff_member, days=0, hours=-1, minutes=120)
    booking = Booking.objects.create(
        service=service,
        staff=staff_member,
        availability=started,
        customer_name="A",
        customer_email="a@example.com",
        customer_phone="912345678",
        amount_due=service.price,
        status=Status.CONFIRMED,
        payment_expires_at=timezone.now(),
    )
    started.is_booked = True
    started.save()
    target = slot_in(staff_member, days=2)
    assert_error(
        staff_client.post(
            f"/api/bookings/{booking.pk}/reschedule/", {"availability": target.pk}
        ),
        409,
        "booking_started",
    )


# --- guest endpoint ---------------------------------------------------------------


def test_guest_reschedules_with_the_lookup_proof(api_client, booking, target):
    response = api_client.post(
        "/api/bookings/lookup/reschedule/",
        {
            "reference": booking.reference.lower(),
            "phone": "912 345 678",
            "availability": target.pk,
        },
    )
    assert response.status_code == 200, response.content
    assert "events" not in response.json()
    booking.refresh_from_db()
    assert booking.availability_id == target.pk
    assert booking.events.order_by("-pk").first().source == "guest"


def test_guest_wrong_contact_is_the_lookup_404(api_client, booking, target, slot):
    response = api_client.post(
        "/api/bookings/lookup/reschedule/",
        {
            "reference": booking.reference,
            "email": "someone@example.com",
            "availability": target.pk,
        },
    )
    assert_error(response, 404, "not_found")
    assert Booking.objects.get(pk=booking.pk).availability_id == slot.pk


@override_settings(BOOKING_GUEST_CANCEL_NOTICE_HOURS=24)
def test_guest_notice_period_for_confirmed_bookings(api_client, staff_member):
    service = ServiceFactory(duration_minutes=60)
    staff_member.services.add(service)
    soon = slot_in(staff_member, days=0, hours=5)
    also_soon = slot_in(staff_member, days=0, hours=7)
    booking = unpaid_booking(service, soon)
    target = slot_in(staff_member, days=3)
    proof = {"reference": booking.reference, "email": booking.customer_email}
    # Unpaid: allowed however close (the same rule as guest cancel).
    response = api_client.post(
        "/api/bookings/lookup/reschedule/", {**proof, "availability": also_soon.pk}
    )
    assert response.status_code == 200, response.content
    services.booking_verify_payment(booking=booking, actor=None)
    assert_error(
        api_client.post(
            "/api/bookings/lookup/reschedule/", {**proof, "availability": target.pk}
        ),
        409,
        "reschedule_notice_passed",
    )


def test_guest_reschedule_is_throttled(
    api_client, booking, target, settings, throttle_clock
):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "booking_lookup": "2/min",
        },
    }
    payload = {"reference": "NOPE2345", "email": "a@b.pt", "availability": target.pk}
    codes = [
        api_client.post("/api/bookings/lookup/reschedule/", payload).status_code
        for _ in range(3)
    ]
    assert codes == [404, 404, 429]
