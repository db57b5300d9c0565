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


class BookableSlotQuerySerializer(serializers.Serializer):
    """Query parameters of the bookable-slot listings."""

    service = serializers.PrimaryKeyRelatedField(
        queryset=Service.objects.all(),
        required=False,
        help_text="Only slots whose staff offers this service, long enough for it.",
    )
    staff = serializers.PrimaryKeyRelatedField(
        queryset=Staff.objects.all(), required=False
    )
    date = serializers.DateField(
        required=False,
        validators=[validate_allowed_date],
        help_text="A calendar date (YYYY-MM-DD) in the business timezone.",
    )
