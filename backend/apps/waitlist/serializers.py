"""The waiting list's request and response shapes."""

from rest_framework import serializers

from apps.bookings.serializers import GuestEmailField, PhoneField
from apps.waitlist.models import WaitlistEntry, WaitlistOffer
from common.fields import IdField, TimeOfDayField

LANGUAGE_PATTERN = r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})?$"


class WaitlistJoinSerializer(serializers.Serializer):
    """What a guest sends to wait for a time. Dates are days of the
    business's calendar (BOOKING_TIMEZONE); the window is a daily one."""

    service = IdField(help_text="The service's id.")
    staff = IdField(
        required=False, allow_null=True, help_text="Optional: one staff member."
    )
    date_from = serializers.DateField(help_text="First day, YYYY-MM-DD.")
    date_to = serializers.DateField(
        help_text="Last day, YYYY-MM-DD (at most 90 ahead)."
    )
    time_from = TimeOfDayField(
        required=False, allow_null=True, help_text="Start at or after, HH:MM."
    )
    time_to = TimeOfDayField(
        required=False, allow_null=True, help_text="End by, HH:MM."
    )
    name = serializers.CharField(max_length=120)
    email = GuestEmailField()
    phone = PhoneField()
    language = serializers.RegexField(
        LANGUAGE_PATTERN,
        required=False,
        max_length=16,
        help_text="The language of the emails (pt-PT, en). Default: the "
        "request's Accept-Language, else the business's own.",
    )


class WaitlistJoinedSerializer(serializers.Serializer):
    """The same answer whether or not the contact was listed already."""

    detail = serializers.CharField()


class WaitlistTokenSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=100, help_text="From the email's link.")


class WaitlistLeftSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=WaitlistEntry.Status.choices)


class WaitlistOfferSerializer(serializers.Serializer):
    """An offer as its guest sees it (from the link's token)."""

    status = serializers.ChoiceField(choices=WaitlistOffer.Status.choices)
    service = serializers.CharField(source="entry.service.name")
    staff = serializers.CharField(source="availability.staff.name")
    start_time = serializers.DateTimeField(source="availability.start_time")
    expires_at = serializers.DateTimeField()
    held = serializers.BooleanField()


class WaitlistEntrySerializer(serializers.ModelSerializer):
    """An entry as staff see it."""

    service_name = serializers.CharField(source="service.name", read_only=True)
    staff_name = serializers.CharField(
        source="staff.name", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = WaitlistEntry
        fields = [
            "id",
            "service",
            "service_name",
            "staff",
            "staff_name",
            "date_from",
            "date_to",
            "time_from",
            "time_to",
            "name",
            "email",
            "phone",
            "language",
            "status",
            "booking",
            "created_at",
        ]
        read_only_fields = fields


class WaitlistOfferByHandSerializer(serializers.Serializer):
    availability = IdField(help_text="The slot to offer (its first slot).")


class WaitlistOfferMadeSerializer(serializers.ModelSerializer):
    class Meta:
        model = WaitlistOffer
        fields = ["id", "entry", "availability", "slot_ids", "held", "expires_at"]
        read_only_fields = fields
