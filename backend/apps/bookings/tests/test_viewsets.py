"""The HTTP contract: plan section 6 API tests, permissions, lists, errors."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from apps.availability.models import Availability
from apps.bookings.models import Booking
from apps.bookings.tests.factories import BookingFactory
from apps.services.models import Service
from apps.services.tests.factories import ServiceFactory
from apps.staff.tests.factories import StaffFactory
from common.tests.assertions import assert_error

Status = Booking.Status
pytestmark = pytest.mark.django_db


def book(client, payload, **overrides):
    return client.post("/api/bookings/", {**payload, **overrides}, format="json")


@pytest.fixture
def booking(api_client, guest_payload):
    response = book(api_client, guest_payload)
    assert response.status_code == 201
    return Booking.objects.get(pk=response.json()["id"])


# --- plan 6, API tests ----------------------------------------------------------------


def test_guest_creates_a_booking_with_the_required_fields(api_client, guest_payload):
    response = book(api_client, guest_payload, notes="First visit")

    assert response.status_code == 201, response.content
    data = response.json()
    booking = Booking.objects.get(pk=data["id"])
    # Typed as "+351 912 345 678": stored in E.164, shown internationally.
    assert booking.customer_phone == "+351912345678"
    assert booking.customer_phone_digits == "351912345678"
    assert data["customer_phone"] == "+351 912 345 678"
    assert booking.notes == "First visit"
    assert booking.status == Status.AWAITING_PAYMENT
    assert booking.availability.is_booked
    assert booking.events.get().source == "guest"
    assert "events" not in data  # the audit trail is for staff


def test_create_returns_awaiting_payment_with_expiry_and_instructions(
    api_client, guest_payload, service
):
    data = book(api_client, guest_payload).json()
    booking = Booking.objects.get(pk=data["id"])

    assert data["status"] == "awaiting_payment"
    assert data["reference"] == booking.reference
    expires = datetime.fromisoformat(data["payment_expires_at"])
    assert expires == booking.created_at + timedelta(minutes=30)
    assert timezone.now() + timedelta(minutes=29) < expires
    instructions = data["payment_instructions"]
    assert instructions["amount"] == str(service.price)
    assert instructions["currency"] == "EUR"
    assert instructions["reference"] == booking.reference
    assert instructions["pay_by"] == data["payment_expires_at"]
    assert "reference" in instructions["instructions"]


@pytest.mark.parametrize(
    ("deactivate", "code", "field"),
    [("service", "inactive_service", "service"), ("staff", "inactive_staff", None)],
)
def test_cannot_book_inactive_service_or_staff(
    api_client, guest_payload, service, staff_member, deactivate, code, field
):
    target = service if deactivate == "service" else staff_member
    target.is_active = False
    target.save()

    body = assert_error(book(api_client, guest_payload), 400, code)
    assert body["errors"] == {field or "availability": [body["detail"]]}
    assert not Booking.objects.exists()


def test_cannot_book_an_already_booked_slot(api_client, guest_payload, booking):
    response = book(api_client, guest_payload, customer_email="late@example.com")
    assert_error(response, 409, "slot_unavailable")
    assert Booking.objects.get() == booking


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ("past", "slot_in_past"),
        ("too_short", "slot_too_short"),
        ("not_offered", "service_not_offered"),
        ("wrong_staff", "staff_mismatch"),
    ],
)
def test_unbookable_slots_are_400_field_errors(
    api_client, guest_payload, service, slot, change, code
):
    overrides = {}
    if change == "past":
        Availability.objects.filter(pk=slot.pk).update(
            start_time=timezone.now() - timedelta(hours=2),
            end_time=timezone.now() - timedelta(hours=1),
        )
    elif change == "too_short":
        Service.objects.filter(pk=service.pk).update(duration_minutes=90)
    elif change == "not_offered":
        overrides["service"] = ServiceFactory().pk
    elif change == "wrong_staff":
        overrides["staff"] = StaffFactory(services=[service]).pk
    body = assert_error(book(api_client, guest_payload, **overrides), 400, code)
    assert set(body["errors"]) <= {"availability", "service", "staff"}
    assert not Booking.objects.exists()


def test_verify_payment_confirms_and_shows_who_and_when(
    staff_client, staff_user, booking
):
    response = staff_client.post(f"/api/bookings/{booking.pk}/verify-payment/")

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "confirmed"
    assert data["payment_verified_by"] == staff_user.username
    assert data["payment_verified_at"] is not None
    assert data["payment_instructions"] is None
    assert [e["to_status"] for e in data["events"]] == ["awaiting_payment", "confirmed"]
    booking.refresh_from_db()
    assert booking.payment_verified_by == staff_user
    assert_error(
        staff_client.post(f"/api/bookings/{booking.pk}/verify-payment/"),
        409,
        "invalid_transition",
    )


def test_complete_only_from_confirmed(staff_client, booking, at_start):
    url = f"/api/bookings/{booking.pk}/complete/"
    assert_error(staff_client.post(url), 409, "invalid_transition")
    staff_client.post(f"/api/bookings/{booking.pk}/verify-payment/")
    with at_start(booking):
        response = staff_client.post(url)
        assert response.status_code == 200
        assert response.json()["status"] == "completed"
        assert_error(staff_client.post(url), 409, "invalid_transition")


def test_cancellation_is_blocked_after_the_slot_starts(
    staff_client, booking, time_machine
):
    time_machine.move_to(booking.availability.start_time + timedelta(minutes=1))
    response = staff_client.post(
        f"/api/bookings/{booking.pk}/cancel/", {"reason": "late"}
    )
    assert_error(response, 409, "booking_started")
    booking.refresh_from_db()
    assert booking.status == Status.AWAITING_PAYMENT


def test_cancel_frees_the_slot_for_the_next_guest(
    api_client, staff_client, booking, guest_payload
):
    response = staff_client.post(
        f"/api/bookings/{booking.pk}/cancel/", {"reason": "Guest phoned"}
    )
    assert response.status_code == 200
    assert response.json()["cancel_reason"] == "Guest phoned"
    assert not Availability.objects.get(pk=booking.availability_id).is_booked
    assert book(api_client, guest_payload).status_code == 201


# --- client-sent fields ---------------------------------------------------------------


def test_client_sent_status_payment_and_audit_fields_are_ignored(
    api_client, guest_payload, staff_user
):
    response = book(
        api_client,
        guest_payload,
        status="completed",
        payment_expires_at="2099-01-01T00:00:00Z",
        payment_verified_at="2020-01-01T00:00:00Z",
        payment_verified_by=staff_user.pk,
        cancel_reason="x",
        reference="AAAAAAAA",
        amount_due="0.01",
        events=[{"to_status": "confirmed"}],
    )
    assert response.status_code == 201
    booking = Booking.objects.get()
    assert booking.status == Status.AWAITING_PAYMENT
    assert booking.payment_verified_at is None
    assert booking.payment_verified_by is None
    assert booking.reference != "AAAAAAAA"
    assert booking.amount_due != 0
    assert booking.payment_expires_at < timezone.now() + timedelta(hours=1)
    assert booking.events.count() == 1


# --- staff edits ----------------------------------------------------------------------


def test_patch_edits_contact_fields(staff_client, booking):
    response = staff_client.patch(
        f"/api/bookings/{booking.pk}/",
        {"customer_phone": "+44 20 7946 0000", "notes": "Prefers mornings"},
    )
    assert response.status_code == 200, response.content
    booking.refresh_from_db()
    assert booking.customer_phone == "+442079460000"  # stored in E.164
    assert booking.notes == "Prefers mornings"


def test_put_needs_every_contact_field(staff_client, booking):
    response = staff_client.put(f"/api/bookings/{booking.pk}/", {"notes": "x"})
    body = assert_error(response, 400, "invalid")
    assert {"customer_name", "customer_email", "customer_phone"} <= set(body["errors"])
    full = {
        "customer_name": "New Name",
        "customer_email": "new@example.com",
        "customer_phone": "912345678",
        "notes": "",
    }
    assert staff_client.put(f"/api/bookings/{booking.pk}/", full).status_code == 200
    booking.refresh_from_db()
    assert booking.customer_name == "New Name"


def test_patch_status_goes_through_the_transition_rules(
    staff_client, staff_user, booking
):
    url = f"/api/bookings/{booking.pk}/"
    response = staff_client.patch(url, {"status": "completed"})
    assert_error(response, 409, "invalid_transition")
    response = staff_client.patch(url, {"status": "confirmed"})
    assert response.status_code == 200
    assert response.json()["payment_verified_by"] == staff_user.username
    response = staff_client.patch(url, {"status": "cancelled"})
    assert response.json()["status"] == "cancelled"
    assert not Availability.objects.get(pk=booking.availability_id).is_booked


def test_completed_booking_edits_and_delete_are_409(staff_client, booking, at_start):
    staff_client.post(f"/api/bookings/{booking.pk}/verify-payment/")
    with at_start(booking):
        staff_client.post(f"/api/bookings/{booking.pk}/complete/")
    url = f"/api/bookings/{booking.pk}/"
    before = Booking.objects.values().get(pk=booking.pk)

    assert_error(staff_client.patch(url, {"notes": "x"}), 409, "booking_immutable")
    assert_error(
        staff_client.patch(url, {"status": "cancelled"}), 409, "booking_immutable"
    )
    assert_error(staff_client.delete(url), 409, "booking_immutable")
    assert_error(
        staff_client.post(f"/api/bookings/{booking.pk}/cancel/"),
        409,
        "invalid_transition",
    )
    assert Booking.objects.values().get(pk=booking.pk) == before


def test_delete_removes_the_booking_and_frees_the_slot(staff_client, booking):
    assert staff_client.delete(f"/api/bookings/{booking.pk}/").status_code == 204
    assert not Booking.objects.exists()
    assert not Availability.objects.get(pk=booking.availability_id).is_booked


def test_unknown_ids_are_404(staff_client, api_client, guest_payload):
    for method, url in [
        ("get", "/api/bookings/999999/"),
        ("post", "/api/bookings/999999/verify-payment/"),
        ("post", "/api/bookings/999999/cancel/"),
        ("delete", "/api/bookings/999999/"),
        ("get", "/api/services/999999/"),
        ("get", "/api/availability/999999/"),
    ]:
        assert_error(getattr(staff_client, method)(url), 404, "not_found")


# --- permissions ----------------------------------------------------------------------


# --- public lists ---------------------------------------------------------------------


# --- staff booking list ---------------------------------------------------------------


def test_booking_list_filters(staff_client, service, staff_member):
    now = timezone.now()
    unpaid = BookingFactory(service=service, availability__staff=staff_member)
    paid = BookingFactory(status=Status.CONFIRMED)
    day = timezone.localtime(unpaid.availability.start_time).date()

    def ids(query):
        response = staff_client.get("/api/bookings/", query)
        assert response.status_code == 200, response.content
        return [b["id"] for b in response.json()["results"]]

    assert ids({"status": "awaiting_payment"}) == [unpaid.pk]
    assert ids({"status": "confirmed"}) == [paid.pk]
    assert ids({"service": service.pk}) == [unpaid.pk]
    assert ids({"staff": paid.staff_id}) == [paid.pk]
    assert ids({"date": day.isoformat()}) == [unpaid.pk]
    assert ids({"ordering": "availability__start_time"}) == [unpaid.pk, paid.pk]
    assert ids({"ordering": "-availability__start_time"}) == [paid.pk, unpaid.pk]
    assert now < unpaid.payment_expires_at
    assert_error(staff_client.get("/api/bookings/?status=pending"), 400, "invalid")


def test_booking_detail_shows_the_audit_events(staff_client, staff_user, booking):
    staff_client.post(f"/api/bookings/{booking.pk}/verify-payment/")
    events = staff_client.get(f"/api/bookings/{booking.pk}/").json()["events"]
    assert [
        (e["from_status"], e["to_status"], e["source"], e["actor"]) for e in events
    ] == [
        ("", "awaiting_payment", "guest", None),
        ("awaiting_payment", "confirmed", "staff", staff_user.username),
    ]


# --- slot management ------------------------------------------------------------------


# --- pagination and query budget ------------------------------------------------------


# --- documentation --------------------------------------------------------------------


# --- error bodies ---------------------------------------------------------------------
