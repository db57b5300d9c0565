from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.availability.models import Availability
from apps.services.models import Service
from apps.staff.models import Staff
from common.dates import validate_allowed_date
from common.fields import (
    AudienceField,
    IdField,
    IdRelatedField,
    unknown_id_message,
)


class AvailabilitySerializer(serializers.ModelSerializer):
    """A slot as staff see it; `is_booked` only ever changes through bookings,
    `is_closed` through closures, and `source` says whether the working hours
    made it (the horizon job manages those) or staff did."""

    serializer_related_field = IdRelatedField
    staff_name = serializers.CharField(source="staff.name", read_only=True)
    audience = AudienceField("staff")

    class Meta:
        model = Availability
        fields = [
            "audience",
            "id",
            "staff",
            "staff_name",
            "start_time",
            "end_time",
            "is_booked",
            "is_closed",
            "source",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "is_booked",
            "is_closed",
            "source",
            "created_at",
            "updated_at",
        ]
        # Uniqueness and overlap are checked by the domain layer under a lock;
        # the serializer's own unlocked check would only race it.
        validators = []


class BookableSlotListSerializer(serializers.ListSerializer):
    """A page of bookable slots, each distinct time formatted once.

    The slots of a page share few start and end times (staff members work
    the same hours); DRF's datetime field costs more than the rest of a row.
    """

    def to_representation(self, rows):
        render = self.child.fields["start_time"].to_representation
        texts = {}

        def when(value):
            # Equal datetimes are the same instant, so the same text.
            text = texts.get(value)
            if text is None:
                text = texts[value] = render(value)
            return text

        return [self.child.row(row, when) for row in rows]


class BookableSlotSerializer(serializers.Serializer):
    """A slot as guests see it."""

    # It renders the rows of availability_bookable_rows (mappings, not model
    # instances); the fields are declared for the schema and the date format.

    audience = AudienceField("public")
    id = serializers.IntegerField(read_only=True)
    staff = serializers.IntegerField(source="staff_id", read_only=True)
    staff_name = serializers.CharField(read_only=True)
    start_time = serializers.DateTimeField(read_only=True)
    end_time = serializers.DateTimeField(read_only=True)

    class Meta:
        list_serializer_class = BookableSlotListSerializer

    def to_representation(self, row):
        return self.row(row, self.fields["start_time"].to_representation)

    @staticmethod
    def row(row, when) -> dict:
        # Once per slot of a page: DRF's generic walk over the fields costs
        # more than the page's SQL. `when` keeps DRF's datetime format.
        return {
            "audience": "public",
            "id": row["id"],
            "staff": row["staff_id"],
            "staff_name": row["staff_name"],
            "start_time": when(row["start_time"]),
            "end_time": when(row["end_time"]),
        }


class BookableQuerySerializer(serializers.Serializer):
    """The service and staff filters every bookable-slot query shares.

    Ids are checked for shape here and for existence by the query that uses
    them (check_ids_exist only when it found nothing): one statement a page.
    """

    service = IdField(
        required=False,
        help_text="Only slots whose staff offers this service, long enough for it.",
    )
    staff = IdField(required=False)

    def to_internal_value(self, data):
        # As StrictFilterBackend: `?date=` is no date, not "any date".
        blank = {
            name: ["Give a value, or leave the parameter out."]
            for name in self.fields
            if name in data and not str(data[name]).strip()
        }
        if blank:
            raise serializers.ValidationError(blank)
        return super().to_internal_value(data)

    def check_ids_exist(self) -> None:
        """400 for a service or staff id that names nothing.

        Asked only when a query filtered by them found no slot: a slot found
        through the join already proves both exist.
        """
        missing = {}
        for name, model in (("service", Service), ("staff", Staff)):
            pk = self.validated_data.get(name)
            if pk is not None and not model.objects.filter(pk=pk).exists():
                missing[name] = [unknown_id_message(pk)]
        if missing:
            raise serializers.ValidationError(missing)


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
            raise serializers.ValidationError({"to": [_("`to` is before `from`.")]})
        if (last_day - first_day).days + 1 > BOOKABLE_DAYS_MAX_RANGE:
            raise serializers.ValidationError(
                {
                    "to": [
                        _("The range is longer than %(days)d days.")
                        % {"days": BOOKABLE_DAYS_MAX_RANGE}
                    ]
                }
            )
        return attrs


class BookableDaySerializer(serializers.Serializer):
    date = serializers.DateField(help_text="A calendar day in the business timezone.")
    count = serializers.IntegerField(
        help_text="Bookable start times that day (for a service, only those "
        "where it fits)."
    )


class BookableDaysSerializer(serializers.Serializer):
    """The days of a range that have bookable slots (days without are left out)."""

    timezone = serializers.CharField(help_text="The business timezone (IANA name).")
    days = BookableDaySerializer(many=True)
