"""Input and output shapes of the business calendar; no rule lives here."""

import re

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.schedules.models import (
    MINUTES_PER_DAY,
    SHORTEST_SLOT_MINUTES,
    Closure,
    WorkingHours,
    clock,
)
from apps.schedules.services import MAX_HORIZON_DAYS, ON_CONFLICT_CHOICES
from common.dates import validate_allowed_date
from common.fields import IdField, IdRelatedField, StaffUsernameField

_CLOCK = re.compile(r"^(\d{2}):(\d{2})$")


@extend_schema_field(
    {"type": "string", "pattern": r"^\d{2}:\d{2}$", "examples": ["09:00"]}
)
class ClockField(serializers.Field):
    """A wall-clock time "HH:MM" from 00:00 to 24:00, stored as minutes."""

    default_error_messages = {
        "invalid": 'Give a time as "HH:MM", from "00:00" to "24:00".',
    }

    def to_internal_value(self, data):
        match = _CLOCK.match(data) if isinstance(data, str) else None
        if match is None:
            self.fail("invalid")
        hours, minutes = int(match[1]), int(match[2])
        if minutes > 59 or hours * 60 + minutes > MINUTES_PER_DAY:
            self.fail("invalid")
        return hours * 60 + minutes

    def to_representation(self, value):
        return clock(value)


class WorkingHoursSerializer(serializers.ModelSerializer):
    """One weekly rule. Overlaps and the times' order are checked by the
    domain layer under the staff member's lock (400 with the field)."""

    serializer_related_field = IdRelatedField

    staff_name = serializers.CharField(source="staff.name", read_only=True)
    # Declared, so the schema's bounds do not follow the database's integer
    # ranges (a small integer on PostgreSQL, any integer on SQLite).
    weekday = serializers.IntegerField(
        min_value=0, max_value=6, help_text="Monday = 0 ... Sunday = 6."
    )
    start = ClockField(
        source="start_minute",
        help_text='Start, "HH:MM" in the business timezone (e.g. "09:00").',
    )
    end = ClockField(
        source="end_minute",
        help_text='End, "HH:MM", after `start`; "24:00" is midnight at the day\'s end.',
    )
    slot_minutes = serializers.IntegerField(
        min_value=SHORTEST_SLOT_MINUTES,
        max_value=MINUTES_PER_DAY,
        help_text="The rule's grid: one slot row per step. A service longer "
        "than a slot takes consecutive slots (a 45-minute service on a "
        "15-minute grid takes three).",
    )
    buffer_minutes = serializers.IntegerField(
        min_value=0,
        max_value=MINUTES_PER_DAY,
        required=False,
        default=0,
        help_text="Minutes left free after each slot.",
    )
    valid_from = serializers.DateField(
        required=False, allow_null=True, validators=[validate_allowed_date]
    )
    valid_until = serializers.DateField(
        required=False, allow_null=True, validators=[validate_allowed_date]
    )

    class Meta:
        model = WorkingHours
        fields = [
            "id",
            "staff",
            "staff_name",
            "weekday",
            "start",
            "end",
            "slot_minutes",
            "buffer_minutes",
            "valid_from",
            "valid_until",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class FillHorizonSerializer(serializers.Serializer):
    """How far ahead to make slots now (BOOKING_SLOT_HORIZON_DAYS if absent)."""

    horizon_days = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_HORIZON_DAYS,
        help_text=f"Days ahead, 1 to {MAX_HORIZON_DAYS}.",
    )


class HorizonResultSerializer(serializers.Serializer):
    horizon_days = serializers.IntegerField()
    staff = serializers.IntegerField(help_text="Staff members brought up to date.")
    created = serializers.IntegerField(help_text="Slots made.")
    removed = serializers.IntegerField(
        help_text="Free future slots removed that no rule makes any more."
    )
    closed = serializers.IntegerField(help_text="Slots hidden by a closure.")
    reopened = serializers.IntegerField(help_text="Slots no closure covers any more.")


class ClosureSerializer(serializers.ModelSerializer):
    """A closure or absence as staff see and write it."""

    serializer_related_field = IdRelatedField

    staff_name = serializers.CharField(
        source="staff.name", read_only=True, allow_null=True, default=None
    )
    created_by = StaffUsernameField()

    class Meta:
        model = Closure
        fields = [
            "id",
            "starts_at",
            "ends_at",
            "staff",
            "staff_name",
            "kind",
            "public_note",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {
            "staff": {"help_text": "Null (or absent) for the whole business."},
            "starts_at": {"validators": [validate_allowed_date]},
            "ends_at": {"validators": [validate_allowed_date]},
        }


class ClosureWriteSerializer(ClosureSerializer):
    """A closure to write, and what to do with the bookings inside it."""

    on_conflict = serializers.ChoiceField(
        choices=ON_CONFLICT_CHOICES,
        required=False,
        write_only=True,
        help_text="What to do with active bookings inside the closure: `keep` "
        "them, `cancel` them (the guests are emailed why, with a link to book "
        "again), or `offer_reschedule` (confirmed guests are emailed their "
        "reschedule link and the nearest free times; unpaid bookings are "
        "cancelled). Without it such bookings are a 409 `closure_conflicts`.",
    )

    class Meta(ClosureSerializer.Meta):
        fields = [*ClosureSerializer.Meta.fields, "on_conflict"]


class ConflictingBookingSerializer(serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.CharField()
    start_time = serializers.DateTimeField()
    end_time = serializers.DateTimeField()
    staff = serializers.IntegerField()
    staff_name = serializers.CharField()
    service_name = serializers.CharField()


class HandledBookingSerializer(serializers.Serializer):
    reference = serializers.CharField()
    outcome = serializers.ChoiceField(
        choices=["kept", "cancelled", "offered_reschedule"],
        help_text="What the closure did with it.",
    )


class ClosureResultSerializer(ClosureSerializer):
    """The closure written, with what became of the bookings inside it."""

    bookings = HandledBookingSerializer(
        source="handled_bookings",
        many=True,
        read_only=True,
        help_text="The bookings inside the closure when it was written.",
    )

    class Meta(ClosureSerializer.Meta):
        fields = [*ClosureSerializer.Meta.fields, "bookings"]


# The 409 codes of a closure write (settings.ENUM_NAME_OVERRIDES names them).
CLOSURE_CONFLICT_CODES = ("closure_conflicts", "conflict")


class ClosureConflictErrorSerializer(serializers.Serializer):
    """The 409 body of a closure write: the usual error, and the bookings."""

    code = serializers.ChoiceField(
        choices=CLOSURE_CONFLICT_CODES,
        help_text="`closure_conflicts`, or `conflict` when a concurrent write won.",
    )
    detail = serializers.CharField()
    bookings = ConflictingBookingSerializer(
        many=True,
        required=False,
        help_text="With `closure_conflicts`: the active bookings inside it.",
    )


class ClosedDaysQuerySerializer(serializers.Serializer):
    """Query parameters of the closed-days calendar."""

    first_day = serializers.DateField(
        validators=[validate_allowed_date],
        help_text="First calendar day (YYYY-MM-DD) in the business timezone.",
    )
    last_day = serializers.DateField(
        validators=[validate_allowed_date],
        help_text="Last calendar day, included; at most 62 days from `from`.",
    )
    staff = IdField(required=False, help_text="Also this staff member's own absences.")

    def get_fields(self):
        fields = super().get_fields()
        # `from` is a Python keyword, hence the source names.
        fields["from"] = fields.pop("first_day")
        fields["from"].source = "first_day"
        fields["to"] = fields.pop("last_day")
        fields["to"].source = "last_day"
        return fields

    def validate(self, attrs):
        first_day, last_day = attrs["first_day"], attrs["last_day"]
        if first_day > last_day:
            raise serializers.ValidationError({"to": ["`to` is before `from`."]})
        if (last_day - first_day).days + 1 > 62:
            raise serializers.ValidationError(
                {"to": ["The range is longer than 62 days."]}
            )
        return attrs


class ClosedDaySerializer(serializers.Serializer):
    date = serializers.DateField(help_text="A calendar day in the business timezone.")
    all_day = serializers.BooleanField(help_text="Closed from midnight to midnight.")
    kind = serializers.ChoiceField(choices=Closure.Kind.choices)
    staff = serializers.IntegerField(
        allow_null=True, help_text="The absent staff member; null for the business."
    )
    public_note = serializers.CharField(help_text="What a guest may be told.")


class ClosedDaysSerializer(serializers.Serializer):
    """The days of a range a closure touches (days without are left out)."""

    timezone = serializers.CharField(help_text="The business timezone (IANA name).")
    days = ClosedDaySerializer(many=True)
