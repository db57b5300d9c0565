"""One line of a bank statement, as every reader returns it, and its dedup key.

Pure: no database, no settings. The importer books only credits; debits are
read too, so a statement's lines are all accounted for.
"""

import hashlib
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation

from apps.payments.exceptions import StatementUnreadable

FORMATS = ("camt053", "mt940", "csv")
# No payment to a small business comes near this; a figure past it is a
# misread file, not money (and would overflow the amount column).
AMOUNT_LIMIT = Decimal("100000000")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class StatementLine:
    """One booked entry of a statement, as the bank reported it."""

    booking_date: date
    amount: Decimal  # always positive; `is_credit` says which way it went
    currency: str
    is_credit: bool
    remittance: str = ""
    counterparty_name: str = ""
    counterparty_account: str = ""
    bank_transaction_id: str = ""
    account: str = ""  # the business's own account, when the file names it
    dedup_key: str = ""


@dataclass
class ParsedStatement:
    file_format: str
    lines: list[StatementLine] = field(default_factory=list)

    @property
    def credits(self) -> list[StatementLine]:
        return [line for line in self.lines if line.is_credit]

    @property
    def debits(self) -> list[StatementLine]:
        return [line for line in self.lines if not line.is_credit]


def checked_amount(value: Decimal, where: str, *, signed: bool = True) -> Decimal:
    """The unsigned amount of a line, or StatementUnreadable naming the line.

    Finite, above zero, below AMOUNT_LIMIT and in whole cents: anything else
    is a misread file, refused before anything is written. `signed=False`
    for formats whose amounts carry no sign (the direction is elsewhere).
    """
    if not signed and value.is_signed():
        raise StatementUnreadable(f"{where}: amount {value} must not be negative.")
    try:
        amount = abs(value)
        in_cents = amount.is_finite() and amount == amount.quantize(CENT)
    except InvalidOperation:
        in_cents = False
    if not in_cents or not 0 < amount < AMOUNT_LIMIT:
        raise StatementUnreadable(
            f"{where}: amount {value} is not an amount in cents between 0.01 "
            f"and {AMOUNT_LIMIT - CENT}."
        )
    return amount


def collapse(text: str) -> str:
    return " ".join(text.split())


def with_dedup_keys(lines: list[StatementLine]) -> list[StatementLine]:
    """Give each line a key that is the same in every export of the statement.

    The bank's own id where there is one (with the account, as ids are only
    unique per account); otherwise a hash of date, amount, currency,
    counterparty and remittance, plus how many identical lines came before it
    in this file, so two genuinely identical payments stay two.
    """
    seen: Counter = Counter()
    keyed = []
    for line in lines:
        if line.bank_transaction_id:
            key = f"id:{line.account}:{line.bank_transaction_id}"
            if len(key) > 200:
                key = "id:" + hashlib.sha256(key.encode()).hexdigest()
        else:
            basis = "|".join(
                [
                    line.account,
                    line.booking_date.isoformat(),
                    f"{line.amount:.2f}",
                    line.currency,
                    "C" if line.is_credit else "D",
                    collapse(line.counterparty_name).lower(),
                    collapse(line.remittance).lower(),
                ]
            )
            seen[basis] += 1
            digest = hashlib.sha256(f"{basis}|{seen[basis]}".encode()).hexdigest()
            key = f"hash:{digest}"
        keyed.append(replace(line, dedup_key=key))
    return keyed


def credit_to_json(line: StatementLine) -> dict:
    """A checked credit as JSON, kept until a background import applies it."""
    return {
        **{name: getattr(line, name) for name in _LINE_TEXT_FIELDS},
        "booking_date": line.booking_date.isoformat(),
        "amount": str(line.amount),
        "is_credit": line.is_credit,
    }


def credit_from_json(data: dict) -> StatementLine:
    return StatementLine(
        **{name: data[name] for name in _LINE_TEXT_FIELDS},
        booking_date=date.fromisoformat(data["booking_date"]),
        amount=Decimal(data["amount"]),
        is_credit=data["is_credit"],
    )


_LINE_TEXT_FIELDS = (
    "currency",
    "remittance",
    "counterparty_name",
    "counterparty_account",
    "bank_transaction_id",
    "account",
    "dedup_key",
)
