"""Input validation and output shape of the booking serializers."""

import pytest
from django.test import override_settings
from rest_framework.renderers import JSONRenderer

from apps.availability.tests.factories import AvailabilityFactory
from apps.bookings import services
from apps.bookings.models import Booking
from apps.bookings.serializers import (
    BookingCreateSerializer,
    BookingSerializer,
    BookingUpdateSerializer,
    booking_body,
)
from apps.bookings.tests.factories import unpaid_booking
from apps.business.selectors import forget as forget_business_settings

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("phone", "e164"),
    [
        ("+351 912 345 678", "+351912345678"),
        ("912345678", "+351912345678"),  # national: read in BOOKING_PHONE_REGION
        ("00351 912 345 678", "+351912345678"),
        ("(21) 555-0100", "+351215550100"),
        ("+1.415.555.0100", "+14155550100"),
        (" +44 20 7946 0958 ", "+442079460958"),
    ],
)
def test_phone_numbers_people_type_are_accepted_in_e164(guest_payload, phone, e164):
    serializer = BookingCreateSerializer(
        data={**guest_payload, "customer_phone": phone}
    )
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data["customer_phone"] == e164


@override_settings(BOOKING_PHONE_REGION="US")
def test_national_numbers_are_read_in_the_configured_region(guest_payload):
    serializer = BookingCreateSerializer(
        data={**guest_payload, "customer_phone": "(212) 555-0100"}
    )
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data["customer_phone"] == "+12125550100"


@pytest.mark.parametrize(
    "phone",
    [
        "",
        "123456",
        "1234567890123456",
        "call me",
        "+351 912 abc 678",
        "++351",
        "2125550100",  # a US number without +1 is not a Portuguese one
        "+351 12 345",
    ],
)
def test_bad_phone_numbers_are_field_errors(guest_payload, phone):
    serializer = BookingCreateSerializer(
        data={**guest_payload, "customer_phone": phone}
    )
    assert not serializer.is_valid()
    assert list(serializer.errors) == ["customer_phone"]


@pytest.mark.parametrize(
    "missing", ["service", "availability", "customer_name", "customer_email",
                "customer_phone"]
)  # fmt: skip
def test_required_fields(guest_payload, missing):
    del guest_payload[missing]
    serializer = BookingCreateSerializer(data=guest_payload)
    assert not serializer.is_valid()
    assert missing in serializer.errors


@pytest.mark.parametrize("bad_id", ["abc", 0, -1, 2**63, "1.5", "1_0", "\uff11", ""])
def test_malformed_email_and_ids_are_field_errors(guest_payload, bad_id):
    # Ids are checked for shape here; that they name something is checked by
    # the domain layer under the slot's lock (test_guest_api).
    serializer = BookingCreateSerializer(
        data={
            **guest_payload,
            "customer_email": "not-an-email",
            "service": bad_id,
            "availability": bad_id,
            "staff": bad_id,
        }
    )
    assert not serializer.is_valid()
    assert set(serializer.errors) == {
        "customer_email",
        "service",
        "availability",
        "staff",
    }


def test_ids_are_read_without_a_query(guest_payload, django_assert_num_queries):
    with django_assert_num_queries(0):
        serializer = BookingCreateSerializer(data={**guest_payload, "staff": 999999})
        assert serializer.is_valid(), serializer.errors


def test_status_payment_and_audit_fields_are_not_accepted(guest_payload, staff_user):
    serializer = BookingCreateSerializer(
        data={
            **guest_payload,
            "status": "confirmed",
            "payment_expires_at": "2099-01-01T00:00:00Z",
            "payment_verified_at": "2020-01-01T00:00:00Z",
            "payment_verified_by": staff_user.pk,
            "reference": "AAAAAAAA",
            "amount_due": "0.01",
        }
    )
    assert serializer.is_valid(), serializer.errors
    assert set(serializer.validated_data) == {
        "service",
        "availability",
        "customer_name",
        "customer_email",
        "customer_phone",
    }


def test_update_serializer_only_knows_contact_fields_and_status():
    serializer = BookingUpdateSerializer(
        data={"notes": "x", "status": "confirmed", "payment_verified_at": "2020-01-01"},
        partial=True,
    )
    assert serializer.is_valid(), serializer.errors
    assert set(serializer.validated_data) == {"notes", "status"}
    assert not BookingUpdateSerializer(
        data={"status": "pending"}, partial=True
    ).is_valid()


@override_settings(
    BOOKING_CURRENCY="CHF",
    # The English text: tests read English.
    BOOKING_PAYMENT_INSTRUCTIONS_EN="IBAN CH00 0000, thank you.",
)
def test_payment_instructions_while_awaiting_payment(service, slot, staff_user):
    booking = unpaid_booking(service, slot)
    data = BookingSerializer(booking).data
    assert data["status"] == "awaiting_payment"
    assert data["payment_instructions"] == {
        "amount": str(service.price),
        "currency": "CHF",
        "reference": booking.reference,
        "pay_by": data["payment_expires_at"],
        "instructions": "IBAN CH00 0000, thank you.",
    }
    confirmed = services.booking_verify_payment(booking=booking, actor=staff_user)
    data = BookingSerializer(confirmed).data
    assert data["payment_instructions"] is None
    assert data["payment_verified_by"] == staff_user.username


@override_settings(TIME_ZONE="America/New_York")
def test_datetimes_render_with_the_business_timezone_offset(service, slot):
    booking = unpaid_booking(service, slot)
    data = BookingSerializer(Booking.objects.get(pk=booking.pk)).data
    for name in ("start_time", "end_time", "payment_expires_at", "created_at"):
        # New York is UTC-5 in winter and UTC-4 in summer.
        assert data[name][-6:] in {"-05:00", "-04:00"}, data[name]


def _json(data) -> bytes:
    return JSONRenderer().render(data)


@pytest.mark.parametrize(
    "business",
    [
        {},
        # The account makes the EPC QR code part of the instructions.
        {
            "BOOKING_PAYMENT_IBAN": "PT50000201231234567890154",
            "BOOKING_PAYMENT_BENEFICIARY": "Doceamor Lda",
            "BOOKING_PAYMENT_BIC": "CGDIPTPL",
        },
        {"TIME_ZONE": "America/New_York", "BOOKING_CURRENCY": "CHF"},
    ],
    ids=["plain", "with account", "new york"],
)
def test_the_plain_create_body_is_the_serializers_json_byte_for_byte(
    service, slot, staff_user, business
):
    """Issue 35: the create answers with `booking_body`, built without the
    ModelSerializer; the serializer stays the contract it must equal."""
    with override_settings(**business):
        forget_business_settings()
        booking = unpaid_booking(service, slot, notes="Ring twice")
        confirmed = unpaid_booking(
            service,
            AvailabilityFactory(staff=slot.staff),
            source="staff",
            customer_email="",
        )
        confirmed = services.booking_verify_payment(booking=confirmed, actor=staff_user)
        cancelled = unpaid_booking(service, AvailabilityFactory(staff=slot.staff))
        cancelled = services.booking_cancel(
            booking=cancelled, actor=staff_user, reason="Closed"
        )
        for each in (booking, confirmed, cancelled, Booking.objects.get(pk=booking.pk)):
            body = booking_body(each)
            assert list(body) == list(BookingSerializer(each).data)
            assert _json(body) == _json(BookingSerializer(each).data)
        # The account's case does carry the QR code (the optional fields).
        qr = "epc_qr" in booking_body(booking)["payment_instructions"]
        assert qr == ("BOOKING_PAYMENT_IBAN" in business)
    forget_business_settings()
