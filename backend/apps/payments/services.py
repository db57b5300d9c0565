"""Bank reconciliation: every write of the payments app.

An import parses and checks the whole file first (a malformed file applies
nothing), then applies each credit in its own transaction, here or, for a
large file, in the job `apply_bank_statements` (background.py): insert the
transaction row (its unique `dedup_key` makes a re-import a no-op, even a
concurrent one), lock the booking its reference names (slot, then booking,
like every other writer), decide the outcome under that lock, and verify the
payment through `booking_verify_payment` when it is due. The expiry job
skips locked rows, so a booking ends confirmed or cancelled-with-a-late-payment,
never both.
"""

import hashlib
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError
from django.utils import timezone

from apps.bookings import services as booking_services
from apps.bookings.models import Booking, BookingEvent
from apps.payments import exceptions, matching, outcomes
from apps.payments.models import SUMMARY_KEYS, BankStatementImport, BankTransaction
from apps.payments.outcomes import TransactionResult
from apps.payments.signals import bank_transaction_unmatched
from apps.payments.statements import CsvDialect, parse_statement
from apps.payments.statements.lines import credit_to_json
from common.db import run_write_transaction, write_transaction
from common.exceptions import DomainError

logger = logging.getLogger(__name__)

Outcome = BankTransaction.Outcome
Refund = BankTransaction.Refund
Status = Booking.Status
BANK = BookingEvent.Source.BANK


@dataclass
class ImportResult:
    file_format: str
    dry_run: bool
    counts: Counter = field(default_factory=Counter)
    results: list[TransactionResult] = field(default_factory=list)
    statement_import: BankStatementImport | None = None
    # Queued for the job `apply_bank_statements`: nothing applied yet.
    queued: bool = False

    @property
    def summary(self) -> dict[str, int]:
        return {key: self.counts.get(key, 0) for key in SUMMARY_KEYS}

    def count(self, item: TransactionResult) -> None:
        self.counts["duplicates" if item.outcome == "duplicate" else item.outcome] += 1
        self.results.append(item)


def bank_statement_import(
    *,
    content: bytes,
    file_name: str,
    file_format: str | None = None,
    csv_dialect: CsvDialect | None = None,
    actor=None,
    dry_run: bool = False,
    background: bool | None = None,
    now: datetime | None = None,
) -> ImportResult:
    """Read a statement and reconcile its credits; `dry_run` writes nothing.

    The whole file is read and every line checked first: a malformed one is
    StatementUnreadable (400) and nothing is written. More credits than
    BANK_STATEMENT_BACKGROUND_CREDITS (or `background=True`) are queued for
    the job `apply_bank_statements` (`result.queued`); fewer are applied
    here. Either way each credit commits on its own and the import row
    always carries every count of its summary, and its status.
    """
    if len(content) > settings.BANK_STATEMENT_MAX_BYTES:
        raise exceptions.StatementTooLarge(
            f"The file has {len(content)} bytes; the limit is "
            f"{settings.BANK_STATEMENT_MAX_BYTES}."
        )
    parsed = parse_statement(content, file_format=file_format, csv_dialect=csv_dialect)
    result = ImportResult(file_format=parsed.file_format, dry_run=dry_run)
    result.counts["debits_ignored"] = len(parsed.debits)
    credits = parsed.credits
    if dry_run:
        for item in outcomes.preview_credits(credits):
            result.count(item)
        return result
    if background is None:
        background = len(credits) > settings.BANK_STATEMENT_BACKGROUND_CREDITS
    Status = BankStatementImport.Status
    result.queued = background
    result.statement_import = BankStatementImport.objects.create(
        file_name=file_name[:255],
        file_format=parsed.file_format,
        file_sha256=hashlib.sha256(content).hexdigest(),
        imported_by=actor if actor is not None and actor.is_authenticated else None,
        created_at=now or timezone.now(),
        status=Status.QUEUED if background else Status.RUNNING,
        credits_total=len(credits),
        summary=result.summary,
        pending_credits=[credit_to_json(line) for line in credits]
        if background
        else None,
    )
    if not background:
        apply_credits(result, credits, actor=actor, now=now)
    logger.info(
        "bank statement %s%s: %s",
        file_name,
        " (queued)" if background else "",
        ", ".join(f"{key}={value}" for key, value in result.summary.items() if value),
    )
    return result


# How often a long import writes its progress (and proves it is alive).
PROGRESS_EVERY = 50


def apply_credits(result: ImportResult, credits, *, actor, now) -> None:
    """Apply credits one by one to `result.statement_import`, recording progress.

    Each credit is its own transaction, and the import row is saved with
    every count every PROGRESS_EVERY credits and at the end; if anything
    fails it is saved as `failed` with the counts so far before the error
    goes on, so no import row is ever left without a summary.
    """
    statement_import = result.statement_import
    Status = BankStatementImport.Status
    try:
        for done, line in enumerate(credits, start=1):
            result.count(
                _apply_credit(
                    line, statement_import=statement_import, actor=actor, now=now
                )
            )
            if done % PROGRESS_EVERY == 0:
                _save_progress(statement_import, result, done)
    except BaseException as error:
        statement_import.status = Status.FAILED
        statement_import.error = f"{type(error).__name__}: {error}"[:2000]
        _save_progress(statement_import, result, len(result.results))
        raise
    statement_import.status = Status.DONE
    statement_import.pending_credits = None
    _save_progress(statement_import, result, len(credits))


def _save_progress(statement_import, result: ImportResult, done: int) -> None:
    statement_import.summary = result.summary
    statement_import.credits_done = done
    statement_import.heartbeat_at = timezone.now()
    statement_import.save(
        update_fields=[
            "summary",
            "credits_done",
            "heartbeat_at",
            "status",
            "error",
            "pending_credits",
        ]
    )


def _apply_credit(line, *, statement_import, actor, now) -> TransactionResult:
    try:
        with write_transaction():
            transaction_row = BankTransaction.objects.create(
                statement_import=statement_import,
                dedup_key=line.dedup_key,
                bank_transaction_id=line.bank_transaction_id[:140],
                booking_date=line.booking_date,
                amount=line.amount,
                currency=line.currency.upper()[:3],
                counterparty_name=line.counterparty_name[:140],
                counterparty_account=line.counterparty_account[:64],
                remittance=line.remittance,
                outcome=Outcome.UNMATCHED,
                created_at=now or timezone.now(),
            )
            found = matching.bookings_referenced(line.remittance)
            if len(found) == 1:
                _settle(transaction_row, found[0].pk, actor=actor, now=now)
            else:
                item = outcomes.unresolved(line, found)
                transaction_row.outcome = item.outcome
                transaction_row.note = item.note
                if item.suggested_reference:
                    transaction_row.suggested_booking = Booking.objects.get(
                        reference=item.suggested_reference
                    )
                transaction_row.save(
                    update_fields=["outcome", "note", "suggested_booking"]
                )
                if transaction_row.outcome == Outcome.UNMATCHED:
                    bank_transaction_unmatched.send(
                        sender=BankTransaction, transaction=transaction_row
                    )
    except IntegrityError:
        # Imported before (or by a concurrent import of the same statement):
        # this transaction rolled back whole, so nothing was applied twice.
        # A resumed import finds its own lines: they keep their outcome.
        earlier = BankTransaction.objects.filter(
            dedup_key=line.dedup_key, statement_import=statement_import
        ).first()
        if earlier is not None:
            return TransactionResult(
                line=line, outcome=earlier.outcome, transaction=earlier
            )
        return TransactionResult(line=line, outcome="duplicate")
    booking = transaction_row.booking
    return TransactionResult(
        line=line,
        outcome=transaction_row.outcome,
        booking_reference=booking.reference if booking else "",
        suggested_reference=(
            transaction_row.suggested_booking.reference
            if transaction_row.suggested_booking
            else ""
        ),
        overpaid_amount=transaction_row.overpaid_amount,
        note=transaction_row.note,
        transaction=transaction_row,
    )


def _settle(transaction_row: BankTransaction, booking_id: int, *, actor, now) -> None:
    """Decide and apply one transaction against one booking; caller holds a txn."""
    booking = booking_services.booking_lock(booking_id=booking_id)
    decision = outcomes.decide(transaction_row, booking)
    if decision.outcome == Outcome.MATCHED:
        booking_services.booking_verify_payment(
            booking=booking,
            actor=actor,
            source=BANK,
            note="bank transaction "
            + (transaction_row.bank_transaction_id or transaction_row.dedup_key),
            now=now,
        )
    transaction_row.booking = booking
    transaction_row.outcome = decision.outcome
    transaction_row.overpaid_amount = decision.overpaid
    transaction_row.note = decision.note
    transaction_row.paid_before_deadline = decision.paid_before_deadline
    transaction_row.suggested_booking = None
    due = decision.outcome in (Outcome.LATE, Outcome.UNDERPAID) or (
        decision.overpaid > 0
    )
    transaction_row.refund_status = Refund.DUE if due else Refund.NONE
    transaction_row.save(
        update_fields=[
            "booking",
            "outcome",
            "overpaid_amount",
            "note",
            "paid_before_deadline",
            "suggested_booking",
            "refund_status",
        ]
    )


def _lock_transaction(transaction_id: int) -> BankTransaction:
    return BankTransaction.objects.select_for_update(of=("self",)).get(
        pk=transaction_id
    )


def bank_transaction_match(
    *, transaction: BankTransaction, booking: Booking, actor, now=None
) -> BankTransaction:
    """Staff match an unmatched (or ambiguous) credit to a booking by hand.

    The same checks as an import apply: the result may be `matched`, or
    `underpaid`, `late`, ... if the booking says so.
    """
    with write_transaction():
        transaction = _lock_transaction(transaction.pk)
        if transaction.outcome not in (Outcome.UNMATCHED, Outcome.AMBIGUOUS):
            raise exceptions.TransactionNotOpen(
                f"Only unmatched or ambiguous transactions can be matched; this "
                f"one is {transaction.outcome}."
            )
        now = now or timezone.now()
        _settle(transaction, booking.pk, actor=actor, now=now)
        _resolved(transaction, actor=actor, now=now)
    return transaction


def bank_transaction_accept_suggestion(
    *, transaction: BankTransaction, actor, now=None
) -> BankTransaction:
    """Accept the one-character-off suggestion: then the normal checks apply."""
    transaction.refresh_from_db(fields=["suggested_booking", "outcome"])
    if transaction.suggested_booking_id is None:
        raise exceptions.NoSuggestion()
    return bank_transaction_match(
        transaction=transaction,
        booking=transaction.suggested_booking,
        actor=actor,
        now=now,
    )


def bank_transaction_rebook(
    *, transaction: BankTransaction, actor, now=None
) -> BankTransaction:
    """A late payment buys a new confirmed booking for the same guest and slot.

    The old booking stays cancelled (cancelled is final); the new one is
    linked to the transaction and its audit trail names the old one. Run by
    `run_write_transaction`, as booking creation needs (a clash redoes it).
    """
    return run_write_transaction(
        lambda: _bank_transaction_rebook(transaction=transaction, actor=actor, now=now)
    )


def _bank_transaction_rebook(*, transaction, actor, now) -> BankTransaction:
    transaction = _lock_transaction(transaction.pk)
    if (
        transaction.outcome != Outcome.LATE
        or transaction.rebooked_booking_id is not None
        or transaction.refund_status == Refund.REFUNDED
    ):
        raise exceptions.TransactionNotOpen(
            "Only a late payment that was neither rebooked nor refunded "
            "can be rebooked."
        )
    old = transaction.booking
    if old is None or old.availability_id is None:
        raise exceptions.SlotNoLongerBookable()
    now = now or timezone.now()
    try:
        new = booking_services.booking_create(
            service_id=old.service_id,
            availability_id=old.availability_id,
            staff_id=old.staff_id,
            customer_name=old.customer_name,
            customer_email=old.customer_email,
            customer_phone=old.customer_phone,
            notes=old.notes,
            actor=actor,
            source=BANK,
            now=now,
        )
    except DomainError as error:
        raise exceptions.SlotNoLongerBookable(
            f"The slot can no longer be booked: {error.detail}"
        ) from None
    if transaction.amount < new.amount_due:
        raise exceptions.PaymentBelowPrice(
            f"Paid {transaction.amount}, the booking now costs {new.amount_due}."
        )
    booking_services.booking_verify_payment(
        booking=new,
        actor=actor,
        source=BANK,
        note=f"rebooked from {old.reference} with a late bank payment",
        now=now,
    )
    transaction.rebooked_booking = new
    transaction.overpaid_amount = transaction.amount - new.amount_due
    transaction.refund_status = (
        Refund.DUE if transaction.overpaid_amount > 0 else Refund.NONE
    )
    transaction.save(
        update_fields=["rebooked_booking", "overpaid_amount", "refund_status"]
    )
    _resolved(transaction, actor=actor, now=now)
    return transaction


def bank_transaction_mark_refunded(
    *, transaction: BankTransaction, actor, now=None
) -> BankTransaction:
    """Record that the money due back went back to the payer."""
    with write_transaction():
        transaction = _lock_transaction(transaction.pk)
        if transaction.refund_status != Refund.DUE:
            raise exceptions.TransactionNotOpen("No refund is due on this transaction.")
        now = now or timezone.now()
        transaction.refund_status = Refund.REFUNDED
        transaction.refunded_at = now
        transaction.save(update_fields=["refund_status", "refunded_at"])
        _resolved(transaction, actor=actor, now=now)
    return transaction


def _resolved(transaction: BankTransaction, *, actor, now) -> None:
    transaction.resolved_by = actor if actor and actor.is_authenticated else None
    transaction.resolved_at = now
    transaction.save(update_fields=["resolved_by", "resolved_at"])
