"""What a bank credit means for the booking it names: the outcome of a
payment, read without writing (the import decides under the booking's lock
with the same `decide`; a preview reads many credits in a few queries)."""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from apps.bookings.models import Booking
from apps.payments import matching
from apps.payments.models import BankTransaction
from apps.payments.statements import StatementLine

Outcome = BankTransaction.Outcome
Status = Booking.Status


@dataclass
class TransactionResult:
    line: StatementLine
    outcome: str
    booking_reference: str = ""
    suggested_reference: str = ""
    overpaid_amount: Decimal = Decimal("0")
    note: str = ""
    transaction: BankTransaction | None = None


# Credits a preview reads together: a few queries per chunk, not per credit.
PREVIEW_CHUNK = 500


def preview_credits(lines: list[StatementLine]) -> list[TransactionResult]:
    """What applying would do with each credit, read in chunks; writes nothing."""
    results = []
    unpaid_by_amount: dict[Decimal, list[Booking]] = {}
    for start in range(0, len(lines), PREVIEW_CHUNK):
        chunk = lines[start : start + PREVIEW_CHUNK]
        imported = set(
            BankTransaction.objects.filter(
                dedup_key__in=[line.dedup_key for line in chunk]
            ).values_list("dedup_key", flat=True)
        )
        referenced = matching.bookings_referenced_many(
            [line.remittance for line in chunk]
        )
        for line, found in zip(chunk, referenced, strict=True):
            if line.dedup_key in imported:
                results.append(TransactionResult(line=line, outcome="duplicate"))
            elif len(found) != 1:
                if line.amount not in unpaid_by_amount:
                    unpaid_by_amount[line.amount] = matching.unpaid_for_amount(
                        line.amount
                    )
                results.append(
                    unresolved(line, found, unpaid=unpaid_by_amount[line.amount])
                )
            else:
                decision = decide(line, found[0])
                results.append(
                    TransactionResult(
                        line=line,
                        outcome=decision.outcome,
                        booking_reference=found[0].reference,
                        overpaid_amount=decision.overpaid,
                        note=decision.note,
                    )
                )
    return results


def unresolved(
    line: StatementLine, found: list[Booking], *, unpaid: list[Booking] | None = None
) -> TransactionResult:
    if found:
        return TransactionResult(
            line=line,
            outcome=Outcome.AMBIGUOUS,
            note="References of several bookings: "
            + ", ".join(booking.reference for booking in found),
        )
    suggestion = matching.suggested_booking(
        line.remittance, amount=line.amount, unpaid=unpaid
    )
    return TransactionResult(
        line=line,
        outcome=Outcome.UNMATCHED,
        suggested_reference=suggestion.reference if suggestion else "",
    )


@dataclass
class Decision:
    outcome: str
    overpaid: Decimal = Decimal("0")
    note: str = ""
    paid_before_deadline: bool | None = None


def decide(line, booking: Booking) -> Decision:
    """The outcome of a payment for a booking, read under the booking's lock."""
    if line.currency.upper() != settings.BOOKING_CURRENCY.upper():
        return Decision(
            Outcome.WRONG_CURRENCY,
            note=f"Paid in {line.currency}; bookings are paid in "
            f"{settings.BOOKING_CURRENCY}.",
        )
    if booking.status in (Status.CONFIRMED, Status.COMPLETED):
        return Decision(Outcome.ALREADY_PAID)
    if booking.status == Status.CANCELLED:
        deadline = timezone.localtime(booking.payment_expires_at)
        deadline_day = deadline.date()
        in_time = line.booking_date <= deadline_day
        note = (
            f"Money booked on {line.booking_date}, "
            + ("on or before" if in_time else "after")
            + f" the payment deadline {deadline:%Y-%m-%d %H:%M}; the booking was "
            + f"cancelled ({booking.cancel_reason or 'no reason given'})."
        )
        return Decision(Outcome.LATE, note=note, paid_before_deadline=in_time)
    if line.amount < booking.amount_due:
        return Decision(
            Outcome.UNDERPAID,
            note=f"Paid {line.amount}, due {booking.amount_due}.",
        )
    return Decision(Outcome.MATCHED, overpaid=line.amount - booking.amount_due)
