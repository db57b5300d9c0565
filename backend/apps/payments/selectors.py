"""Reads of the payments app: transaction lists for the review pages."""

import json

from django.conf import settings
from django.db.models import QuerySet

from apps.payments import exceptions
from apps.payments.models import BankStatementImport, BankTransaction
from apps.payments.statements import CSV_PRESETS, CsvDialect, csv_dialect_from_mapping


def bank_transaction_list() -> QuerySet[BankTransaction]:
    return BankTransaction.objects.select_related(
        "booking", "suggested_booking", "rebooked_booking", "statement_import"
    )


def bank_transactions_late() -> QuerySet[BankTransaction]:
    """Late payments nobody has rebooked or refunded yet."""
    return bank_transaction_list().filter(
        outcome=BankTransaction.Outcome.LATE,
        rebooked_booking__isnull=True,
        refund_status=BankTransaction.Refund.DUE,
    )


def bank_transactions_refund_due() -> QuerySet[BankTransaction]:
    return bank_transaction_list().filter(refund_status=BankTransaction.Refund.DUE)


def bank_statement_import_list() -> QuerySet[BankStatementImport]:
    return BankStatementImport.objects.select_related("imported_by")


def csv_dialect_for(*, preset: str = "", mapping: str = "") -> CsvDialect | None:
    """The CSV layout to read with: a preset, a JSON mapping, or the setting.

    A mapping is JSON naming columns (`{"date": "Valuta", "amount": "Umsatz"}`)
    and options (`delimiter`, `decimal`, `date_formats`, `encoding`, ...); it
    starts from `preset` (or the default header). None of them (the setting
    empty too): None, and the importer picks the preset whose header the file
    has.
    """
    if not preset and not mapping:
        configured = settings.BANK_STATEMENT_CSV_MAPPING.strip()
        if not configured:
            return None
        if configured.startswith("{"):
            mapping = configured
        else:
            preset = configured
    preset = preset or "default"
    if preset not in CSV_PRESETS:
        raise exceptions.StatementUnreadable(
            f"Unknown CSV preset {preset!r}; one of: {', '.join(CSV_PRESETS)}.",
            field="csv_preset",
        )
    if not mapping:
        return CSV_PRESETS[preset]
    try:
        values = json.loads(mapping)
    except json.JSONDecodeError as error:
        raise exceptions.StatementUnreadable(
            f"The CSV mapping is not JSON: {error}.", field="csv_map"
        ) from None
    if not isinstance(values, dict) or not all(isinstance(key, str) for key in values):
        raise exceptions.StatementUnreadable(
            "The CSV mapping must be a JSON object.", field="csv_map"
        )
    return csv_dialect_from_mapping(values, base=preset)
