"""The front desk's day through the API (issue 28): a booking taken and paid at
the desk, Complete refused before the start, Cancel with a reason, a refund
owed and the guest told or not. As a Front desk token, and as a guest."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from apps.availability.models import Availability
from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings import services
from apps.bookings.models import Booking, BookingEvent
from apps.bookings.tests.factories import StaffUserFactory
from apps.notifications.models import Notification

pytestmark = pytest.mark.django_db

Status = Booking.Status


def token_client(user) -> APIClient:
    _, key = AuthToken.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def desk_user():
    return StaffUserFactory(role="desk")


@pytest.fixture
def desk(desk_user):
    return token_client(desk_user)


@pytest.fixture
def phone_booking(service, slot):
    """A caller on the phone: a name and a number, no email."""
    return {
        "service": service.pk,
        "availability": slot.pk,
        "customer_name": "Rosa Lima",
        "customer_phone": "912 000 111",
    }


def post(client, payload):
    return client.post("/api/bookings/", payload, format="json")


def guest_emails(booking):
    return list(
        Notification.objects.filter(booking=booking)
        .exclude(kind=Notification.Kind.NEW_BOOKING_STAFF)
        .values_list("kind", "recipient")
    )


# --- a booking taken at the desk ------------------------------------------------------


@pytest.mark.parametrize("method", ["cash", "card", "transfer"])
def test_a_phone_booking_paid_at_the_desk_is_confirmed_with_who_when_and_how(
    desk, desk_user, phone_booking, slot, method
):
    response = post(desk, {**phone_booking, "paid_at_desk": method})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "confirmed"
    assert body["customer_email"] == ""
    assert body["payment_instructions"] is None
    booking = Booking.objects.get(pk=body["id"])
    assert booking.status == Status.CONFIRMED
    assert booking.payment_verified_by == desk_user
    assert booking.client_key == ""
    assert Availability.objects.get(pk=slot.pk).is_booked
    created, paid = booking.events.all()
    assert (created.kind, created.source, created.actor) == (
        "created",
        "staff",
        desk_user,
    )
    assert (paid.kind, paid.from_status, paid.to_status) == (
        "payment_verified",
        "awaiting_payment",
        "confirmed",
    )
    assert paid.actor == desk_user
    assert paid.created_at == booking.payment_verified_at
    assert paid.data == {"method": method}
    assert paid.note.startswith("Paid at the desk")
    # No address, no email to the guest.
    assert guest_emails(booking) == []

    detail = desk.get(f"/api/bookings/{booking.pk}/").json()
    assert detail["events"][-1]["data"] == {"method": method}
    assert detail["events"][-1]["actor"] == desk_user.username


def test_a_guest_with_an_email_gets_the_confirmation_not_payment_instructions(
    desk, phone_booking
):
    response = post(
        desk,
        {**phone_booking, "customer_email": "rosa@example.com", "paid_at_desk": "card"},
    )
    assert response.status_code == 201, response.content
    booking = Booking.objects.get(pk=response.json()["id"])
    assert guest_emails(booking) == [
        (Notification.Kind.PAYMENT_CONFIRMED, "rosa@example.com")
    ]


def test_a_desk_booking_may_await_payment_as_a_guests_does(desk, phone_booking):
    response = post(desk, phone_booking)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "awaiting_payment"
    assert body["payment_instructions"]["reference"] == body["reference"]


def test_a_taken_slot_is_the_same_409_for_the_desk(desk, phone_booking, booking):
    response = post(desk, {**phone_booking, "availability": booking.availability_id})
    assert response.status_code == 409
    assert response.json()["code"] == "slot_unavailable"
    assert Booking.objects.count() == 1


def test_a_bad_method_is_a_field_error(desk, phone_booking):
    response = post(desk, {**phone_booking, "paid_at_desk": "bitcoin"})
    assert response.status_code == 400
    assert "paid_at_desk" in response.json()["errors"]
    assert not Booking.objects.exists()


def test_desk_bookings_skip_the_guest_hold_limits(desk, service, staff_member):
    """One caller, more unpaid bookings than a guest may hold: staff acts."""
    limit = settings.BOOKING_MAX_UNPAID_PER_CONTACT
    start = timezone.now().replace(microsecond=0) + timedelta(days=40)
    for number in range(limit + 1):
        slot = AvailabilityFactory(
            staff=staff_member,
            start_time=start + timedelta(days=number),
            end_time=start + timedelta(days=number, hours=1),
        )
        response = post(
            desk,
            {
                "service": service.pk,
                "availability": slot.pk,
                "customer_name": "Rosa",
                "customer_phone": "912 000 111",
            },
        )
        assert response.status_code == 201, response.content
    assert Booking.objects.filter(status=Status.AWAITING_PAYMENT).count() == limit + 1


def test_desk_bookings_are_throttled_per_staff_user(
    settings, service, staff_member, phone_booking
):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "booking_create_desk": "2/min",
        },
    }
    from rest_framework.settings import api_settings

    api_settings.reload()
    try:
        first, second = StaffUserFactory(role="desk"), StaffUserFactory(role="desk")
        slots = [AvailabilityFactory(staff=staff_member).pk for _ in range(4)]
        statuses = [
            post(token_client(first), {**phone_booking, "availability": pk}).status_code
            for pk in slots[:3]
        ]
        assert statuses == [201, 201, 429]
        other = post(token_client(second), {**phone_booking, "availability": slots[3]})
        assert other.status_code == 201
    finally:
        api_settings.reload()


# --- what a guest may not do ----------------------------------------------------------


def test_a_guest_must_give_an_email(api_client, phone_booking):
    response = post(api_client, phone_booking)
    assert response.status_code == 400
    assert "customer_email" in response.json()["errors"]
    assert not Booking.objects.exists()


def test_a_guest_cannot_claim_to_have_paid_at_the_desk(api_client, phone_booking, slot):
    response = post(
        api_client,
        {**phone_booking, "customer_email": "a@example.com", "paid_at_desk": "cash"},
    )
    assert response.status_code == 400
    assert "paid_at_desk" in response.json()["errors"]
    assert not Booking.objects.exists()
    assert not Availability.objects.get(pk=slot.pk).is_booked


def test_staff_without_the_payment_right_cannot_take_a_payment(
    phone_booking, staff_user
):
    from django.contrib.auth.models import Permission

    user = StaffUserFactory(role="")
    user.user_permissions.add(
        Permission.objects.get(codename="add_booking"),
        Permission.objects.get(codename="view_booking"),
    )
    client = token_client(user)
    response = post(client, {**phone_booking, "paid_at_desk": "cash"})
    assert response.status_code == 403
    assert not Booking.objects.exists()
    assert post(client, phone_booking).status_code == 201


# --- complete, only once it started ---------------------------------------------------


def test_complete_before_the_start_is_a_409_booking_not_started(
    desk, booking, desk_user, at_start
):
    services.booking_verify_payment(booking=booking, actor=desk_user)
    url = f"/api/bookings/{booking.pk}/complete/"

    response = desk.post(url)

    assert response.status_code == 409
    assert response.json()["code"] == "booking_not_started"
    booking.refresh_from_db()
    assert booking.status == Status.CONFIRMED
    with at_start(booking):
        assert desk.post(url).json()["status"] == "completed"


def test_a_guest_cannot_complete(api_client, booking):
    response = api_client.post(f"/api/bookings/{booking.pk}/complete/")
    assert response.status_code == 401


# --- cancel, with a reason and a refund owed ------------------------------------------


def test_cancel_of_a_paid_booking_records_the_reason_and_the_refund_owed(
    desk, booking, desk_user
):
    services.booking_verify_payment(booking=booking, actor=desk_user)

    response = desk.post(
        f"/api/bookings/{booking.pk}/cancel/",
        {"reason": "Guest is ill", "refund_due": True},
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["refund_due"]) == ("cancelled", True)
    booking.refresh_from_db()
    assert (booking.cancel_reason, booking.refund_due) == ("Guest is ill", True)
    event = booking.events.last()
    assert (event.kind, event.note, event.actor) == (
        "cancelled",
        "Guest is ill",
        desk_user,
    )
    assert event.data == {"notify_guest": True, "refund_due": True}
    assert Notification.objects.filter(
        booking=booking, kind=Notification.Kind.BOOKING_CANCELLED
    ).exists()
    assert not Availability.objects.get(pk=booking.availability_id).is_booked


def test_cancel_without_telling_the_guest_sends_no_email(desk, booking, desk_user):
    services.booking_verify_payment(booking=booking, actor=desk_user)
    response = desk.post(
        f"/api/bookings/{booking.pk}/cancel/",
        {"reason": "Told at the counter", "refund_due": False, "notify_guest": False},
        format="json",
    )
    assert response.status_code == 200
    assert not Notification.objects.filter(
        booking=booking, kind=Notification.Kind.BOOKING_CANCELLED
    ).exists()
    booking.refresh_from_db()
    assert booking.refund_due is False
    assert booking.events.last().data == {"notify_guest": False, "refund_due": False}


def test_no_refund_can_be_owed_for_an_unpaid_booking(desk, booking):
    response = desk.post(
        f"/api/bookings/{booking.pk}/cancel/",
        {"reason": "x", "refund_due": True},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "nothing_to_refund"
    assert response.json()["errors"]["refund_due"]
    booking.refresh_from_db()
    assert booking.status == Status.AWAITING_PAYMENT
    assert booking.events.count() == 1


def test_a_guest_cannot_use_the_staff_cancel(api_client, booking):
    response = api_client.post(
        f"/api/bookings/{booking.pk}/cancel/", {"reason": "x"}, format="json"
    )
    assert response.status_code == 401
    booking.refresh_from_db()
    assert booking.status == Status.AWAITING_PAYMENT


def test_event_kinds_reach_the_api(desk, booking):
    kinds = [
        e["kind"] for e in desk.get(f"/api/bookings/{booking.pk}/").json()["events"]
    ]
    assert kinds == [BookingEvent.Kind.CREATED]
