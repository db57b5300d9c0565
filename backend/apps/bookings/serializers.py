import re

from django.conf import settings
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.availability.models import Availability
from apps.bookings.models import Booking, BookingEvent, DeskPayment
from apps.bookings.payment_instructions import booking_payment_instructions
from apps.bookings.phones import phone_international, phone_to_e164
from common.fields import (
    AnyOfFields,
    BodyIdField,
    IdRelatedField,
    JsonBooleanField,
    StaffUsernameField,
)

# What people type around the digits; letters are refused, though
# libphonenumber would read them as a keypad's (ABC -> 2).
_PHONE_CHARACTERS = re.compile(r"^\+?[0-9 ()./-]+$")


def validate_phone(value: str) -> str:
    """A valid number, returned in E.164; without a country code it is read
    in BOOKING_PHONE_REGION."""
    value = value.strip()
    e164 = phone_to_e164(value) if _PHONE_CHARACTERS.match(value) else None
    if e164 is None:
        raise serializers.ValidationError(
            _(
                "Enter a valid phone number, e.g. +351 912 345 678; a number "
                "without a country code is read as one from %(region)s."
            )
            % {"region": settings.BOOKING_PHONE_REGION}
        )
    return e164


class PhoneField(serializers.CharField):
    """Read as typed, validated and kept in E.164; shown as `+351 912 345 678`."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 32)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        return validate_phone(super().to_internal_value(data))

    def to_representation(self, value):
        return phone_international(str(value))


# RFC 5322's dot-atom: the local parts mail servers agree on. A quoted local
# part (`"victim"@…`) is refused: the envelope unquotes it, so it would only
# be another spelling of a mailbox.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM = re.compile(rf"^{_ATEXT}(\.{_ATEXT})*$")


class GuestEmailField(serializers.EmailField):
    """An address the business's emails may go to: a plain local part and a
    public-looking domain (a dot, no IP literal, no `localhost`), so the relay
    is never handed a quoted, local or bare-IP recipient."""

    default_error_messages = {
        "plain": _("Enter a plain email address, e.g. name@example.com."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 254)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        local, _, domain = value.rpartition("@")
        if (
            not _DOT_ATOM.match(local)
            or domain.startswith("[")
            or "." not in domain.strip(".")
        ):
            self.fail("plain")
        return value


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "format": "email"},
            {"type": "string", "maxLength": 0},
        ],
        "description": "Empty for a booking the desk took without an email.",
    }
)
class OptionalEmailField(serializers.EmailField):
    """The guest's email as the API returns it: an address, or empty."""


class LocaleField(serializers.ChoiceField):
    """A language of settings.LANGUAGES, in any case (`pt-PT` is `pt-pt`)."""

    def __init__(self, **kwargs):
        super().__init__(choices=settings.LANGUAGES, **kwargs)

    def to_internal_value(self, data):
        return super().to_internal_value(
            data.lower() if isinstance(data, str) else data
        )


class BookingCreateSerializer(serializers.Serializer):
    """What a guest sends to book. Status, payment and audit fields are not
    accepted: unknown keys are ignored, never honoured.

    Staff booking for a guest at the desk (context `desk`) may leave the
    email out and may say the guest paid on the spot (`paid_at_desk`).
    """

    # Ids are checked for shape only: the domain layer reads them once, with
    # the slot's lock, and answers an unknown id with the same field error.
    service = BodyIdField(help_text="The service's id.")
    availability = BodyIdField(help_text="The slot's id.")
    staff = BodyIdField(
        required=False,
        allow_null=True,
        help_text="Optional; must be the staff member of the slot.",
    )
    customer_name = serializers.CharField(max_length=120)
    customer_email = GuestEmailField(
        required=False,
        allow_blank=True,
        help_text="Required for guests. Staff booking at the desk may leave it "
        "out (the guest then gets no email).",
    )
    customer_phone = PhoneField()
    notes = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    locale = LocaleField(
        required=False,
        help_text="The language of the guest's emails. Without it, the "
        "request's Accept-Language (a language the business does not speak: "
        "the business's own).",
    )
    paid_at_desk = serializers.ChoiceField(
        choices=DeskPayment.choices,
        required=False,
        help_text="Staff only (needs the verify-payment permission): the guest "
        "paid at the desk, in cash, by card or by a transfer already seen. The "
        "booking is created `confirmed`, the payment event naming the staff "
        "user, the time and the method; the guest is sent the confirmation.",
    )

    def validate(self, attrs):
        if not self.context.get("desk"):
            if not attrs.get("customer_email"):
                raise serializers.ValidationError(
                    {"customer_email": [_("This field is required.")]}
                )
            if "paid_at_desk" in attrs:
                raise serializers.ValidationError(
                    {"paid_at_desk": [_("Only staff can take a payment at the desk.")]}
                )
        return attrs


class BookingUpdateSerializer(serializers.Serializer):
    """Staff edits: contact fields, notes, and optionally a status change."""

    customer_name = serializers.CharField(max_length=120)
    customer_email = GuestEmailField(allow_blank=True)
    customer_phone = PhoneField()
    notes = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    locale = LocaleField(
        required=False, help_text="The language of the guest's emails."
    )
    status = serializers.ChoiceField(
        choices=Booking.Status.choices,
        required=False,
        help_text="A change runs the same rules as the transition actions.",
    )


class BookingCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="Why; recorded in the audit trail and shown to the guest.",
    )
    refund_due = JsonBooleanField(
        required=False,
        default=False,
        help_text="For a paid booking: the business owes the guest the money "
        "back. Recorded on the booking (`refund_due`); a bank payment it was "
        "matched to becomes a refund due in the refunds export. 400 "
        "`nothing_to_refund` for a booking that was not paid.",
    )
    notify_guest = JsonBooleanField(
        required=False,
        default=True,
        help_text="Email the guest the cancellation (default); false when they "
        "were told in person.",
    )


class PaymentInstructionsSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=10, decimal_places=2)
    currency = serializers.CharField()
    reference = serializers.CharField(help_text="Quote this on the payment.")
    pay_by = serializers.DateTimeField(help_text="Unpaid after this, it is cancelled.")
    instructions = serializers.CharField()
    epc_qr = serializers.CharField(
        required=False,
        help_text="EPC069-12 'SEPA credit transfer' QR payload (banking apps scan "
        "it). Present only for EUR when the business's IBAN is configured.",
    )
    epc_qr_svg = serializers.CharField(
        required=False, help_text="The same QR code as an SVG data URI."
    )


class BookingEventSerializer(serializers.ModelSerializer):
    from_status = serializers.ChoiceField(
        choices=Booking.Status.choices,
        allow_blank=True,
        read_only=True,
        help_text="Empty for the event that created the booking.",
    )
    actor = StaffUsernameField()

    class Meta:
        model = BookingEvent
        fields = [
            "kind",
            "from_status",
            "to_status",
            "source",
            "actor",
            "note",
            "data",
            "created_at",
        ]
        read_only_fields = fields


class BookingSerializer(serializers.ModelSerializer):
    """A booking as the API returns it."""

    service_name = serializers.CharField(source="service.name", read_only=True)
    staff_name = serializers.CharField(source="staff.name", read_only=True)
    start_time = serializers.DateTimeField(
        source="availability.start_time", read_only=True, allow_null=True
    )
    end_time = serializers.DateTimeField(
        source="ends_at",
        read_only=True,
        allow_null=True,
        help_text="The end of the last slot the booking takes (a service longer "
        "than one slot takes the consecutive slots after the first).",
    )
    currency = serializers.SerializerMethodField()
    payment_verified_by = StaffUsernameField()
    payment_instructions = serializers.SerializerMethodField()
    customer_phone = PhoneField(read_only=True)
    customer_email = OptionalEmailField(read_only=True)

    class Meta:
        model = Booking
        fields = [
            "id",
            "reference",
            "status",
            "service",
            "service_name",
            "staff",
            "staff_name",
            "availability",
            "start_time",
            "end_time",
            "customer_name",
            "customer_email",
            "customer_phone",
            "notes",
            "locale",
            "amount_due",
            "currency",
            "payment_expires_at",
            "payment_instructions",
            "payment_verified_at",
            "payment_verified_by",
            "cancel_reason",
            "refund_due",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_currency(self, booking) -> str:
        return settings.BOOKING_CURRENCY

    @extend_schema_field(PaymentInstructionsSerializer(allow_null=True))
    def get_payment_instructions(self, booking):
        """How to pay; null once the booking no longer awaits payment."""
        instructions = booking_payment_instructions(booking)
        if instructions is None:
            return None
        return PaymentInstructionsSerializer(instructions).data


# DRF's own fields, unbound: the plain body formats each value as they do.
_MOMENT = serializers.DateTimeField()
_AMOUNT = serializers.DecimalField(max_digits=10, decimal_places=2)


def _moment(value):
    return None if value is None else _MOMENT.to_representation(value)


def _payment_instructions(booking) -> dict | None:
    instructions = booking_payment_instructions(booking)
    if instructions is None:
        return None
    body = {
        "amount": _AMOUNT.to_representation(instructions["amount"]),
        "currency": instructions["currency"],
        "reference": instructions["reference"],
        "pay_by": _moment(instructions["pay_by"]),
        "instructions": instructions["instructions"],
    }
    for optional in ("epc_qr", "epc_qr_svg"):
        if optional in instructions:
            body[optional] = instructions[optional]
    return body


def booking_body(booking: Booking) -> dict:
    """What `BookingSerializer(booking).data` is, built as a plain dict: the
    create's 201 body, which a 23-field ModelSerializer made the costliest
    part of the answer. Byte-identical JSON, checked field by field against
    the serializer (test_serializers.py), which stays the schema's contract."""
    slot = booking.availability
    verified_by = (
        booking.payment_verified_by if booking.payment_verified_by_id else None
    )
    return {
        "id": booking.pk,
        "reference": booking.reference,
        "status": str(booking.status),
        "service": booking.service_id,
        "service_name": booking.service.name,
        "staff": booking.staff_id,
        "staff_name": booking.staff.name,
        "availability": booking.availability_id,
        "start_time": _moment(slot.start_time) if slot is not None else None,
        "end_time": _moment(booking.ends_at),
        "customer_name": booking.customer_name,
        "customer_email": booking.customer_email,
        "customer_phone": phone_international(booking.customer_phone),
        "notes": booking.notes,
        "locale": booking.locale,
        "amount_due": _AMOUNT.to_representation(booking.amount_due),
        "currency": settings.BOOKING_CURRENCY,
        "payment_expires_at": _moment(booking.payment_expires_at),
        "payment_instructions": _payment_instructions(booking),
        "payment_verified_at": _moment(booking.payment_verified_at),
        "payment_verified_by": verified_by.username if verified_by else None,
        "cancel_reason": booking.cancel_reason,
        "refund_due": bool(booking.refund_due),
        "created_at": _moment(booking.created_at),
        "updated_at": _moment(booking.updated_at),
    }


class BookingDetailSerializer(BookingSerializer):
    events = BookingEventSerializer(many=True, read_only=True)

    class Meta(BookingSerializer.Meta):
        fields = [*BookingSerializer.Meta.fields, "events"]
        read_only_fields = fields


class GuestLookupSerializer(AnyOfFields, serializers.Serializer):
    """Proof that a guest may see a booking: its reference and their contact,
    or the token of a link emailed to the booking's address."""

    any_of_fields = ("email", "phone", "access_token")

    # Spaces around it are trimmed, so one of spaces alone is blank: the
    # pattern tells the schema so (the blank check answers first).
    reference = serializers.CharField(max_length=20, validators=[RegexValidator(r"\S")])
    email = serializers.EmailField(required=False, allow_blank=True, max_length=254)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=32)
    access_token = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="Instead of email or phone: the `access` token of a link we "
        "emailed (after too many wrong proofs of this reference). Single use: "
        "each answer carries the next one in `access_token`.",
    )

    def validate(self, attrs):
        if not any(attrs.get(field) for field in self.any_of_fields):
            raise serializers.ValidationError(
                {"email": [_("Give the email or the phone number used to book.")]}
            )
        return attrs


class GuestCancelSerializer(GuestLookupSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class BookingRescheduleSerializer(serializers.Serializer):
    """The slot to move a booking to."""

    availability = IdRelatedField(
        queryset=Availability.objects.all(),
        help_text="A bookable slot of a staff member offering the booking's service.",
    )


class GuestRescheduleSerializer(GuestLookupSerializer):
    availability = IdRelatedField(
        queryset=Availability.objects.all(),
        help_text="A bookable slot of a staff member offering the booking's service.",
    )


class GuestBookingSerializer(BookingSerializer):
    """What a guest sees of their own booking."""

    access_token = serializers.CharField(
        read_only=True,
        allow_null=True,
        default=None,
        help_text="When the booking was opened with an emailed link's token: "
        "the token for the next request (each is single use); otherwise null.",
    )

    service = serializers.PrimaryKeyRelatedField(
        read_only=True,
        help_text="The booked service's id: list slots to move the booking to "
        "with `GET /api/bookings/availability/?service=<id>`.",
    )

    class Meta(BookingSerializer.Meta):
        fields = [
            "reference",
            "status",
            "service",
            "service_name",
            "staff_name",
            "start_time",
            "end_time",
            "customer_name",
            "amount_due",
            "currency",
            "payment_expires_at",
            "payment_instructions",
            "cancel_reason",
            "access_token",
        ]
        read_only_fields = fields
