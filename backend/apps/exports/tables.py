"""What an export holds: its columns, rows and totals, whatever the format.

A table's rows are a generator over the selectors' chunked queries, so
nothing holds the whole export; the totals are added up as the rows pass and
read once they are done (the xlsx writes them at the end). Values keep their
type (Decimal, datetime in the business timezone, date, str) for the writer
to render.
"""

import heapq
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from apps.bookings.models import Booking, BookingEvent
from apps.exports import selectors
from apps.payments.models import BankTransaction

TEXT, MONEY, DATETIME, DATE, COUNT = "text", "money", "datetime", "date", "count"
SOURCE_LABELS = {
    BookingEvent.Source.STAFF: "Staff",
    BookingEvent.Source.BANK: "Bank import",
}
STAFF_VERIFIED = "verified by staff"
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Column:
    title: str
    kind: str = TEXT


@dataclass
class Block:
    """A small table of totals, written after the rows."""

    title: str
    columns: list[Column]
    rows: list[list]


@dataclass
class Table:
    name: str
    columns: list[Column]
    rows: Iterator[list]
    totals: Callable[[], list[Block]] = field(default=lambda: [])


class Totals:
    """Count, amount due and amount paid per service and per staff member."""

    def __init__(self, amounts: list[str]):
        self.amounts = amounts
        self.by = {"Service": defaultdict(self._zero), "Staff": defaultdict(self._zero)}

    def _zero(self):
        return [0, *(ZERO for _ in self.amounts)]

    def add(self, *, service: str, staff: str, amounts: list[Decimal]):
        for key, name in (("Service", service), ("Staff", staff)):
            line = self.by[key][name]
            line[0] += 1
            for index, amount in enumerate(amounts, start=1):
                line[index] += amount

    def blocks(self) -> list[Block]:
        columns = [Column("Count", COUNT), *(Column(a, MONEY) for a in self.amounts)]
        blocks = []
        for key, lines in self.by.items():
            rows = [[name, *line] for name, line in sorted(lines.items())]
            total = [0, *(ZERO for _ in self.amounts)]
            for line in lines.values():
                total = [a + b for a, b in zip(total, line, strict=True)]
            rows.append(["Total", *total])
            title = "Totals per service" if key == "Service" else "Totals per staff"
            blocks.append(Block(title, [Column(key), *columns], rows))
        return blocks


def _local(moment):
    return timezone.localtime(moment) if moment else None


def _payment(booking: Booking):
    """(amount paid, paid on, source label) of a booking."""
    if booking.payment_verified_at is None:
        return ZERO, None, ""
    if booking.bank_paid is not None:
        return (
            booking.bank_paid,
            booking.bank_paid_on,
            SOURCE_LABELS[BookingEvent.Source.BANK],
        )
    source = SOURCE_LABELS.get(booking.payment_source, booking.payment_source or "")
    return booking.amount_due, timezone.localdate(booking.payment_verified_at), source


def bookings_table(query: selectors.ExportQuery, *, include_contact: bool) -> Table:
    columns = [
        Column("Reference"),
        Column("Created", DATETIME),
        Column("Appointment", DATETIME),
        Column("Service"),
        Column("Staff"),
        Column(f"Amount due ({settings.BOOKING_CURRENCY})", MONEY),
        Column(f"Amount paid ({settings.BOOKING_CURRENCY})", MONEY),
        Column("Paid on", DATE),
        Column("Payment source"),
        Column("Status"),
    ]
    if include_contact:
        columns += [Column("Guest name"), Column("Guest email")]
    totals = Totals(["Amount due", "Amount paid"])

    def rows():
        for booking in selectors.bookings_for_export(query):
            paid, paid_on, source = _payment(booking)
            slot = booking.availability
            totals.add(
                service=booking.service.name,
                staff=booking.staff.name,
                amounts=[booking.amount_due, paid],
            )
            row = [
                booking.reference,
                _local(booking.created_at),
                _local(slot.start_time if slot else None),
                booking.service.name,
                booking.staff.name,
                booking.amount_due,
                paid,
                paid_on,
                source,
                booking.get_status_display(),
            ]
            if include_contact:
                row += [booking.customer_name, booking.customer_email]
            yield row

    return Table("Bookings", columns, rows(), totals.blocks)


def _bank_row(transaction: BankTransaction, *, include_contact: bool):
    booking = transaction.rebooked_booking or transaction.booking
    counts = transaction.outcome == BankTransaction.Outcome.MATCHED or bool(
        transaction.rebooked_booking_id
    )
    outcome = transaction.get_outcome_display()
    if transaction.rebooked_booking_id:
        outcome += f", rebooked as {transaction.rebooked_booking.reference}"
    row = [
        transaction.booking_date,
        transaction.amount,
        transaction.currency,
        SOURCE_LABELS[BookingEvent.Source.BANK],
        booking,
        outcome,
        transaction.get_refund_status_display() if transaction.refund_status else "",
        transaction.bank_transaction_id,
    ]
    payer = transaction.counterparty_name if include_contact else None
    return row, booking, counts, payer


def _staff_row(booking: Booking):
    row = [
        timezone.localdate(booking.payment_verified_at),
        booking.amount_due,
        settings.BOOKING_CURRENCY,
        SOURCE_LABELS[BookingEvent.Source.STAFF],
        booking,
        STAFF_VERIFIED,
        # Paid at the desk and cancelled with the money owed back.
        BankTransaction.Refund.DUE.label if booking.refund_due else "",
        "",
    ]
    return row, booking, True, None


def payments_table(query: selectors.ExportQuery, *, include_contact: bool) -> Table:
    columns = [
        Column("Paid on", DATE),
        Column("Amount", MONEY),
        Column("Currency"),
        Column("Payment source"),
        Column("Booking reference"),
        Column("Appointment", DATETIME),
        Column("Service"),
        Column("Staff"),
        Column("Booking status"),
        Column("Outcome"),
        Column("Refund"),
        Column("Bank reference"),
    ]
    if include_contact:
        columns += [Column("Payer"), Column("Guest name"), Column("Guest email")]
    totals = Totals(["Paid for bookings"])

    def rows():
        bank = (
            _bank_row(t, include_contact=include_contact)
            for t in selectors.bank_payments_for_export(query)
        )
        staff = (_staff_row(b) for b in selectors.staff_payments_for_export(query))
        for row, booking, counts, payer in heapq.merge(
            bank, staff, key=lambda item: item[0][0]
        ):
            paid_on, amount, currency, source, _, outcome, refund, bank_ref = row
            slot = booking.availability if booking else None
            service = booking.service.name if booking else ""
            staff_name = booking.staff.name if booking else ""
            if counts and booking:
                totals.add(service=service, staff=staff_name, amounts=[amount])
            line = [
                paid_on,
                amount,
                currency,
                source,
                booking.reference if booking else "",
                _local(slot.start_time if slot else None),
                service,
                staff_name,
                booking.get_status_display() if booking else "",
                outcome,
                refund,
                bank_ref,
            ]
            if include_contact:
                line += [
                    payer or "",
                    booking.customer_name if booking else "",
                    booking.customer_email if booking else "",
                ]
            yield line

    return Table("Payments", columns, rows(), totals.blocks)
