"""Refunds due, as a SEPA credit transfer file (pain.001) the bank executes."""

from dataclasses import dataclass, field
from datetime import date

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from apps.bookings.payment_instructions import payment_account
from apps.payments import exceptions
from apps.payments.models import BankTransaction


@dataclass
class RefundExport:
    xml: bytes = b""
    included: list[int] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)  # id -> why


def refunds_export_sepa(
    *, transactions: list[BankTransaction], execution_date: date
) -> RefundExport:
    """pain.001.001.03 with one transfer per refund due, in EUR to a valid IBAN.

    Transfers that cannot go in (no valid IBAN, not EUR, nothing owed) are
    listed in `skipped`, never sent as a zero or negative amount.
    """
    account = payment_account()
    if account is None:
        raise exceptions.RefundAccountMissing()
    iban, beneficiary, bic = account
    config = {
        "name": beneficiary,
        "IBAN": iban,
        "BIC": bic,
        "batch": True,
        "currency": "EUR",
    }
    if not bic:
        del config["BIC"]
    # Imported here: only a refunds export writes a SEPA file, and a gunicorn
    # worker need not hold sepaxml (and its XML schema) for every request.
    from sepaxml import SepaTransfer

    transfer = SepaTransfer(config, clean=True)
    export = RefundExport()
    for transaction in transactions:
        amount = transaction.refund_amount
        why = ""
        if transaction.refund_status != BankTransaction.Refund.DUE:
            why = "no refund due"
        elif amount <= 0:
            why = "nothing to refund"
        elif transaction.currency != "EUR":
            why = f"currency {transaction.currency} is not EUR"
        else:
            try:
                payer_iban = IBAN(transaction.counterparty_account)
            except SchwiftyException:
                why = "the payer's account is not a valid IBAN"
        if why:
            export.skipped[transaction.pk] = why
            continue
        payment = {
            "name": transaction.counterparty_name or "Payer",
            "IBAN": payer_iban.compact,
            "amount": int(amount * 100),
            "execution_date": execution_date,
            "description": _description(transaction, beneficiary),
            "endtoend_id": f"REFUND{transaction.pk}",
        }
        bank_bic = payer_iban.bic
        if bank_bic:
            payment["BIC"] = str(bank_bic)
        transfer.add_payment(payment)
        export.included.append(transaction.pk)
    if export.included:
        export.xml = transfer.export(validate=True)
    return export


def _description(transaction: BankTransaction, beneficiary: str) -> str:
    reference = transaction.booking.reference if transaction.booking else ""
    return f"Refund {beneficiary[:40]} {reference}".strip()
