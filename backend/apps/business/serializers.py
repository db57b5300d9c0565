from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.business.models import BusinessSettings
from apps.business.validators import compact_bic, compact_iban
from common.fields import StaffUsernameField


def _or_empty(format_name: str) -> dict:
    # anyOf, not the oneOf drf-spectacular writes: "" passes a lax format too.
    return {
        "anyOf": [
            {"type": "string", "format": format_name, "maxLength": 200},
            {"type": "string", "maxLength": 0},
        ]
    }


@extend_schema_field(_or_empty("uri"))
class WebsiteField(serializers.URLField):
    pass


@extend_schema_field(_or_empty("email"))
class ReplyToField(serializers.EmailField):
    pass


class BusinessSettingsSerializer(serializers.ModelSerializer):
    """The business's settings; IBAN and BIC are checked with schwifty and
    returned compact (`PT50000201231234567890154`)."""

    website = WebsiteField(required=False, allow_blank=True, max_length=200)
    reply_to = ReplyToField(required=False, allow_blank=True, max_length=254)
    updated_by = StaffUsernameField()

    class Meta:
        model = BusinessSettings
        fields = [
            "name",
            "name_en",
            "welcome_text",
            "welcome_text_en",
            "payment_instructions",
            "payment_instructions_en",
            "iban",
            "bic",
            "beneficiary",
            "sender_email",
            "reply_to",
            "phone",
            "address",
            "website",
            "updated_at",
            "updated_by",
        ]
        read_only_fields = ["updated_at", "updated_by"]

    def validate_iban(self, value):
        return compact_iban(value)

    def validate_bic(self, value):
        return compact_bic(value)

    def validate_sender_email(self, value):
        from email.utils import parseaddr

        from django.core.validators import validate_email

        address = parseaddr(value)[1]
        try:
            validate_email(address)
        except Exception:
            raise serializers.ValidationError(
                'Enter an address, e.g. "Doceamor <bookings@example.com>".'
            ) from None
        return value
