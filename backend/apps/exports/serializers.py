from rest_framework import serializers

from apps.bookings.models import Booking
from apps.exports import selectors, writers
from common.dates import validate_allowed_date
from common.fields import IdField

FORMATS = [writers.XLSX, writers.CSV, writers.CSV_SEMICOLON]


class ExportQuerySerializer(serializers.Serializer):
    """The query of an export: `from` and `to` (calendar days of the business
    timezone, both included), `format`, the date basis and filters."""

    date_bases = [selectors.APPOINTMENT, selectors.CREATED]
    default_basis = selectors.APPOINTMENT

    def get_fields(self):
        # `from` is a Python keyword: the fields are named here, not as
        # class attributes.
        return {
            "from": serializers.DateField(
                validators=[validate_allowed_date],
                help_text="First day (YYYY-MM-DD), in the business timezone.",
            ),
            "to": serializers.DateField(
                validators=[validate_allowed_date],
                help_text="Last day, included.",
            ),
            "format": serializers.ChoiceField(
                choices=FORMATS,
                default=writers.XLSX,
                help_text="`xlsx`, `csv` (commas, decimal points) or "
                "`csv-semicolon` (semicolons, decimal commas: Excel in Portugal).",
            ),
            "date_basis": serializers.ChoiceField(
                choices=self.date_bases,
                default=self.default_basis,
                help_text="Which date `from` and `to` select by.",
            ),
            "status": serializers.ChoiceField(
                choices=Booking.Status.choices,
                required=False,
                help_text="Only bookings in this status.",
            ),
            "staff": IdField(required=False, help_text="Only this staff member's."),
            "service": IdField(required=False, help_text="Only this service's."),
        }

    def validate(self, data):
        if data["to"] < data["from"]:
            raise serializers.ValidationError({"to": "Must not be before `from`."})
        return data

    def export_query(self) -> selectors.ExportQuery:
        data = self.validated_data
        return selectors.ExportQuery(
            date_from=data["from"],
            date_to=data["to"],
            date_basis=data["date_basis"],
            status=data.get("status", ""),
            staff_id=data.get("staff"),
            service_id=data.get("service"),
        )


class BookingExportQuerySerializer(ExportQuerySerializer):
    pass


class PaymentExportQuerySerializer(ExportQuerySerializer):
    date_bases = [selectors.PAID, selectors.APPOINTMENT, selectors.CREATED]
    default_basis = selectors.PAID
