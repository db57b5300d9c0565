from rest_framework import serializers

from apps.bookings.models import Booking
from apps.payments.models import BankStatementImport, BankTransaction
from apps.payments.statements import CSV_PRESETS, FORMATS
from common.fields import StaffUsernameField


class BankStatementUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The statement: CAMT.053 XML, MT940 or CSV.")
    format = serializers.ChoiceField(
        choices=FORMATS,
        required=False,
        help_text="Omit to detect it from the content.",
    )
    dry_run = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Report what would happen and write nothing.",
    )
    csv_preset = serializers.ChoiceField(
        choices=list(CSV_PRESETS), required=False, allow_blank=True, default=""
    )
    csv_map = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=4000,
        help_text='JSON column mapping, e.g. {"date": "Valuta", "amount": "Umsatz"}.',
    )


class BankTransactionSerializer(serializers.ModelSerializer):
    booking = serializers.SlugRelatedField(
        slug_field="reference", read_only=True, allow_null=True
    )
    suggested_booking = serializers.SlugRelatedField(
        slug_field="reference", read_only=True, allow_null=True
    )
    rebooked_booking = serializers.SlugRelatedField(
        slug_field="reference", read_only=True, allow_null=True
    )
    refund_amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, read_only=True
    )

    class Meta:
        model = BankTransaction
        fields = [
            "id",
            "statement_import",
            "bank_transaction_id",
            "booking_date",
            "amount",
            "currency",
            "counterparty_name",
            "counterparty_account",
            "remittance",
            "outcome",
            "booking",
            "suggested_booking",
            "rebooked_booking",
            "overpaid_amount",
            "paid_before_deadline",
            "note",
            "refund_status",
            "refund_amount",
            "refunded_at",
            "resolved_at",
            "created_at",
        ]
        read_only_fields = fields


class PreviewTransactionSerializer(serializers.Serializer):
    """One credit of a statement and the outcome it got (or would get)."""

    id = serializers.IntegerField(allow_null=True, help_text="Null in a dry run.")
    outcome = serializers.CharField(
        help_text="An outcome, or `duplicate` when imported before."
    )
    booking_date = serializers.DateField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    currency = serializers.CharField()
    counterparty_name = serializers.CharField()
    counterparty_account = serializers.CharField()
    remittance = serializers.CharField()
    bank_transaction_id = serializers.CharField()
    booking = serializers.CharField(allow_blank=True)
    suggested_booking = serializers.CharField(allow_blank=True)
    overpaid_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    note = serializers.CharField(allow_blank=True)


class ImportSummarySerializer(serializers.Serializer):
    """Counts by outcome; a count an old import row lacks reads as 0."""

    matched = serializers.IntegerField(default=0)
    already_paid = serializers.IntegerField(default=0)
    late = serializers.IntegerField(default=0)
    underpaid = serializers.IntegerField(default=0)
    wrong_currency = serializers.IntegerField(default=0)
    ambiguous = serializers.IntegerField(default=0)
    unmatched = serializers.IntegerField(default=0)
    duplicates = serializers.IntegerField(default=0)
    debits_ignored = serializers.IntegerField(default=0)


class ImportResultSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="Null in a dry run.")
    file_format = serializers.CharField()
    dry_run = serializers.BooleanField()
    summary = ImportSummarySerializer()
    transactions = PreviewTransactionSerializer(many=True)


class BankStatementImportSerializer(serializers.ModelSerializer):
    imported_by = StaffUsernameField()
    summary = ImportSummarySerializer(read_only=True)

    class Meta:
        model = BankStatementImport
        fields = [
            "id",
            "file_name",
            "file_format",
            "file_sha256",
            "imported_by",
            "summary",
            "status",
            "credits_total",
            "credits_done",
            "error",
            "created_at",
        ]
        read_only_fields = fields


class ManualMatchSerializer(serializers.Serializer):
    booking = serializers.SlugRelatedField(
        slug_field="reference",
        queryset=Booking.objects.all(),
        help_text="The reference of the booking this payment is for.",
    )


class RefundExportQuerySerializer(serializers.Serializer):
    execution_date = serializers.DateField(required=False)


def import_result_data(result) -> dict:
    return {
        "id": result.statement_import.pk if result.statement_import else None,
        "file_format": result.file_format,
        "dry_run": result.dry_run,
        "summary": result.summary,
        "transactions": [
            {
                "id": item.transaction.pk if item.transaction else None,
                "outcome": item.outcome,
                "booking_date": item.line.booking_date,
                "amount": item.line.amount,
                "currency": item.line.currency,
                "counterparty_name": item.line.counterparty_name,
                "counterparty_account": item.line.counterparty_account,
                "remittance": item.line.remittance,
                "bank_transaction_id": item.line.bank_transaction_id,
                "booking": item.booking_reference,
                "suggested_booking": item.suggested_reference,
                "overpaid_amount": item.overpaid_amount,
                "note": item.note,
            }
            for item in result.results
        ],
    }
