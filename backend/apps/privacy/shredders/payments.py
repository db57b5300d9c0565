"""Bank credits matched (or suggested) to the bookings: payers' names and accounts."""

import re

from django.db.models import Q

from apps.payments.models import BankStatementImport, BankTransaction, StatementFile
from apps.privacy.contacts import MARKER, scrub_json, scrub_text
from apps.privacy.registry import Shredder, Target


def _transactions(target: Target):
    ids = target.booking_ids
    return BankTransaction.objects.filter(
        Q(booking_id__in=ids)
        | Q(suggested_booking_id__in=ids)
        | Q(rebooked_booking_id__in=ids)
    )


def kept_remittance(remittance: str, references: set[str]) -> str:
    """What the accountant needs of a payer's memo: the booking references in
    it. Anything else (a name, a phone) goes."""
    found = [
        ref for ref in sorted(references) if re.search(re.escape(ref), remittance, re.I)
    ]
    if not remittance:
        return ""
    return " ".join(found) if found else MARKER


class BankTransactionShredder(Shredder):
    name = "bank_transactions"
    verbose_name = "Bank credits: payer name, account, memo"
    fields = (
        "payments.BankTransaction.counterparty_name",
        "payments.BankTransaction.counterparty_account",
        "payments.BankTransaction.remittance",
        "payments.BankTransaction.note",
        # The raw files previewed in the admin (kept until applied, purged
        # after a day) and a queued import's credits (cleared when applied).
        "payments.StatementFile.content",
        "payments.BankStatementImport.pending_credits",
    )

    def export(self, target: Target) -> list[dict]:
        return [
            {
                "booking_date": row.booking_date.isoformat(),
                "amount": str(row.amount),
                "currency": row.currency,
                "payer_name": row.counterparty_name,
                "payer_account": row.counterparty_account,
                "remittance": row.remittance,
                "outcome": row.outcome,
                "reference": row.booking.reference if row.booking else None,
            }
            for row in _transactions(target).select_related("booking")
        ]

    def shred(self, target: Target, *, now) -> int:
        references = target.references
        changed = []
        for row in _transactions(target):
            needles = target.needles_of(
                row.booking_id, row.suggested_booking_id, row.rebooked_booking_id
            )
            before = (
                row.counterparty_name,
                row.counterparty_account,
                row.remittance,
                row.note,
            )
            row.counterparty_name = MARKER if row.counterparty_name else ""
            row.counterparty_account = MARKER if row.counterparty_account else ""
            row.remittance = kept_remittance(row.remittance, references)
            row.note = scrub_text(row.note, needles)
            if before != (
                row.counterparty_name,
                row.counterparty_account,
                row.remittance,
                row.note,
            ):
                changed.append(row)
        BankTransaction.objects.bulk_update(
            changed,
            ["counterparty_name", "counterparty_account", "remittance", "note"],
            batch_size=500,
        )
        return len(changed) + self._files(target) + self._pending(target.needles)

    def _files(self, target: Target) -> int:
        """Previewed statement files naming these bookings: dropped (a file is
        kept only for the admin's Apply step; it can be uploaded again)."""
        marks = [
            text.encode().lower() for text in (*target.references, *target.needles)
        ]
        doomed = [
            row.pk
            for row in StatementFile.objects.only("pk", "content")
            if any(mark in bytes(row.content).lower() for mark in marks)
        ]
        StatementFile.objects.filter(pk__in=doomed).delete()
        return len(doomed)

    def _pending(self, needles: list[str]) -> int:
        changed = 0
        for row in BankStatementImport.objects.exclude(pending_credits=None):
            credits = scrub_json(row.pending_credits, needles)
            if credits != row.pending_credits:
                row.pending_credits = credits
                row.save(update_fields=["pending_credits"])
                changed += 1
        return changed
