"""One line of a bank statement, as every reader returns it, and its dedup key.

Pure: no database, no settings. The importer books only credits; debits are
read too, so a statement's lines are all accounted for.
"""

import hashlib
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

FORMATS = ("camt053", "mt940", "csv")


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
