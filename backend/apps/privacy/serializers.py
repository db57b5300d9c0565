from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from apps.privacy.models import ErasureRecord
from common.fields import StaffUsernameField


class ContactSerializer(serializers.Serializer):
    """One contact: an email or a phone number, not both."""

    email = serializers.EmailField(required=False, allow_blank=True, max_length=254)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=32)

    def validate(self, data):
        if bool(data.get("email")) == bool(data.get("phone")):
            raise serializers.ValidationError(
                {"email": _("Give an email or a phone number (one of them).")}
            )
        return data


class ErasureRequestSerializer(ContactSerializer):
    reason = serializers.CharField(
        max_length=500,
        help_text="Why (e.g. 'the guest asked by email on 2026-12-01'). Any "
        "name, email or phone of the guest in it is erased too.",
    )


class KeptBookingSerializer(serializers.Serializer):
    reference = serializers.CharField()
    reason = serializers.CharField()


class ErasureSerializer(serializers.ModelSerializer):
    """An erasure as recorded: never the contact, only its keyed hash."""

    erased = serializers.ListField(
        source="erased_references",
        child=serializers.CharField(),
        help_text="References of the bookings anonymised by this erasure.",
    )
    kept = KeptBookingSerializer(
        many=True, help_text="Bookings left as they were, and why."
    )
    requested_by = StaffUsernameField()

    class Meta:
        model = ErasureRecord
        fields = [
            "id",
            "created_at",
            "source",
            "requested_by",
            "reason",
            "erased",
            "kept",
            "bookings_erased",
            "counts",
        ]
        read_only_fields = fields


class ErasureResultSerializer(ErasureSerializer):
    nothing_left = serializers.BooleanField(
        help_text="True when the contact has no booking left at all (already "
        "erased, or never known): nothing was or remains to erase."
    )
    previous_erasures = serializers.ListField(
        child=serializers.DateTimeField(),
        help_text="When this contact was erased before.",
    )
    detail = serializers.CharField()

    class Meta(ErasureSerializer.Meta):
        fields = [
            *ErasureSerializer.Meta.fields,
            "nothing_left",
            "previous_erasures",
            "detail",
        ]
        read_only_fields = fields


# One object, though served by a viewset's `list` (GET /api/privacy/export/).
@extend_schema_serializer(many=False)
class ExportSerializer(serializers.Serializer):
    """Everything held about one contact, by kind."""

    contact = serializers.DictField(child=serializers.CharField())
    generated_at = serializers.DateTimeField()
    bookings = serializers.ListField(child=serializers.DictField())
    booking_events = serializers.ListField(child=serializers.DictField())
    notifications = serializers.ListField(child=serializers.DictField())
    bank_transactions = serializers.ListField(child=serializers.DictField())
    webhook_deliveries = serializers.ListField(child=serializers.DictField())
    erasures = serializers.ListField(child=serializers.DictField())


class GuestRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    action = serializers.ChoiceField(choices=["export", "erase"])


class GuestRequestAnswerSerializer(serializers.Serializer):
    detail = serializers.CharField()


class GuestConfirmSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=100, help_text="From the emailed link.")


class GuestConfirmAnswerSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["export", "erase"])
    export = ExportSerializer(allow_null=True, help_text="For `export`.")
    erasure = ErasureResultSerializer(allow_null=True, help_text="For `erase`.")
