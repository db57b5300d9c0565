from rest_framework import serializers

from apps.availability.models import Availability
from apps.services.models import Service
from apps.staff.models import Staff
from common.dates import validate_allowed_date


class AvailabilitySerializer(serializers.ModelSerializer):
    """A slot as staff see it; `is_booked` only ever changes through bookings."""

    staff_name = serializers.CharField(source="staff.name", read_only=True)

    class Meta:
        model = Availability
        fields = [
            "id",
            "staff",
            "staff_name",
            "start_time",
            "end_time",
            "is_booked",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["is_booked", "created_at", "updated_at"]
        # Uniqueness and overlap are checked by the domain layer under a lock;
        # the serializer's own unlocked check would only race it.
        validators = []


class BookableSlotSerializer(serializers.ModelSerializer):
    """A slot as guests see it."""

    staff_name = serializers.CharField(source="staff.name", read_only=True)

    class Meta:
        model = Availability
        fields = ["id", "staff", "staff_name", "start_time", "end_time"]
        read_only_fields = fields


class BookableQuerySerializer(serializers.Serializer):
    """The service and staff filters every bookable-slot query shares."""

    service = serializers.PrimaryKeyRelatedField(
        queryset=Service.objects.all(),
        required=False,
        help_text="Only slots whose staff offers this service, long enough for it.",
    )
    staff = serializers.PrimaryKeyRelatedField(
        queryset=Staff.objects.all(), required=False
    )


class BookableSlotQuerySerializer(BookableQuerySerializer):
    """Query parameters of the bookable-slot listings."""

    date = serializers.DateField(
        required=False,
        validators=[validate_allowed_date],
        help_text="A calendar date (YYYY-MM-DD) in the business timezone.",
    )


BOOKABLE_DAYS_MAX_RANGE = 62


class BookableDaysQuerySerializer(BookableQuerySerializer):
    """Query parameters of the days-with-free-slots calendar."""

    # `from` is a Python keyword, hence the source names.
    first_day = serializers.DateField(
        validators=[validate_allowed_date],
        help_text="First calendar day (YYYY-MM-DD) in the business timezone.",
    )
    last_day = serializers.DateField(
        validators=[validate_allowed_date],
        help_text="Last calendar day (YYYY-MM-DD), included; at most "
        f"{BOOKABLE_DAYS_MAX_RANGE} days from `from`.",
    )

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("first_day")
        fields["from"].source = "first_day"
        fields["to"] = fields.pop("last_day")
        fields["to"].source = "last_day"
        return fields

    def validate(self, attrs):
        first_day, last_day = attrs["first_day"], attrs["last_day"]
        if first_day > last_day:
            raise serializers.ValidationError({"to": ["`to` is before `from`."]})
        if (last_day - first_day).days + 1 > BOOKABLE_DAYS_MAX_RANGE:
            raise serializers.ValidationError(
                {"to": [f"The range is longer than {BOOKABLE_DAYS_MAX_RANGE} days."]}
            )
        return attrs


class BookableDaySerializer(serializers.Serializer):
    date = serializers.DateField(help_text="A calendar day in the business timezone.")
    count = serializers.IntegerField(help_text="Bookable slots starting that day.")


class BookableDaysSerializer(serializers.Serializer):
    """The days of a range that have bookable slots (days without are left out)."""

    timezone = serializers.CharField(help_text="The business timezone (IANA name).")
    days = BookableDaySerializer(many=True)
