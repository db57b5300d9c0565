"""CAMT.053 (ISO 20022 bank-to-customer statement), versions 2, 4 and 8.

XML goes through defusedxml with DTDs forbidden: no entity is ever expanded
and nothing external is fetched.
"""

from collections import Counter
from datetime import date
from decimal import Decimal, InvalidOperation

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from apps.payments.exceptions import StatementUnreadable
from apps.payments.statements.lines import StatementLine, checked_amount


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class _Node:
    """Namespace-agnostic access to an ElementTree element (v2, v4 and v8)."""

    def __init__(self, element):
        self.element = element

    def children(self, name: str) -> list["_Node"]:
        return [_Node(child) for child in self.element if _local(child.tag) == name]

    def find(self, path: str) -> "_Node | None":
        nodes = [self]
        for name in path.split("/"):
            nodes = [child for node in nodes for child in node.children(name)]
            if not nodes:
                return None
        return nodes[0]

    def find_all(self, path: str) -> list["_Node"]:
        nodes = [self]
        for name in path.split("/"):
            nodes = [child for node in nodes for child in node.children(name)]
        return nodes

    def text(self, path: str) -> str:
        node = self.find(path)
        return (node.element.text or "").strip() if node is not None else ""

    @property
    def attrib(self) -> dict:
        return self.element.attrib


def parse_camt053(content: bytes) -> list[StatementLine]:
    try:
        root = SafeET.fromstring(content, forbid_dtd=True)
    except DefusedXmlException as error:
        raise StatementUnreadable(
            f"The XML file declares a DTD or entities, which are refused: {error}."
        ) from None
    except SafeET.ParseError as error:
        line, column = error.position
        raise StatementUnreadable(
            f"The XML is malformed at line {line}, column {column}."
        ) from None
    document = _Node(root)
    if _local(root.tag) != "Document" or document.find("BkToCstmrStmt") is None:
        raise StatementUnreadable(
            "Not a CAMT.053 file: no <Document><BkToCstmrStmt> element."
        )
    lines = []
    for statement_index, statement in enumerate(
        document.find_all("BkToCstmrStmt/Stmt"), start=1
    ):
        account = statement.text("Acct/Id/IBAN") or statement.text("Acct/Id/Othr/Id")
        entries = statement.children("Ntry")
        ids: Counter = Counter()
        pending = []
        for entry_index, entry in enumerate(entries, start=1):
            where = f"<Stmt> {statement_index}, <Ntry> {entry_index}"
            for item in _camt_entry_lines(entry, where):
                pending.append(item)
                for candidate in item["ids"]:
                    ids[candidate] += 1
        for item in pending:
            unique = [candidate for candidate in item["ids"] if ids[candidate] == 1]
            if unique:
                bank_id = unique[0]
            elif item["ids"]:
                bank_id = f"{item['ids'][0]}#{item['position']}"
            else:
                bank_id = ""
            lines.append(
                StatementLine(
                    booking_date=item["date"],
                    amount=item["amount"],
                    currency=item["currency"],
                    is_credit=item["is_credit"],
                    remittance=item["remittance"],
                    counterparty_name=item["name"],
                    counterparty_account=item["iban"],
                    bank_transaction_id=bank_id,
                    account=account,
                )
            )
    return lines


def _camt_amount(node: _Node | None, where: str) -> tuple[Decimal, str] | None:
    if node is None:
        return None
    try:
        amount = Decimal((node.element.text or "").strip())
    except InvalidOperation:
        raise StatementUnreadable(
            f"{where}: amount {node.element.text!r} is not a number."
        ) from None
    return checked_amount(amount, where, signed=False), node.attrib.get("Ccy", "")


def _camt_date(entry: _Node, where: str) -> date:
    raw = entry.text("BookgDt/Dt") or entry.text("BookgDt/DtTm")
    raw = raw or entry.text("ValDt/Dt") or entry.text("ValDt/DtTm")
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        raise StatementUnreadable(
            f"{where}: booking date {raw!r} is not a date."
        ) from None


def _camt_entry_lines(entry: _Node, where: str):
    indicator = entry.text("CdtDbtInd")
    if indicator not in ("CRDT", "DBIT"):
        raise StatementUnreadable(f"{where}: <CdtDbtInd> must be CRDT or DBIT.")
    entry_amount = _camt_amount(entry.find("Amt"), where)
    if entry_amount is None:
        raise StatementUnreadable(f"{where}: no <Amt>.")
    booking_date = _camt_date(entry, where)
    details = entry.find_all("NtryDtls/TxDtls")
    entry_ids = [entry.text("AcctSvcrRef"), entry.text("NtryRef")]
    if not details:
        yield _camt_line(
            None, entry, indicator, entry_amount, booking_date, entry_ids, 1
        )
        return
    for position, detail in enumerate(details, start=1):
        detail_where = f"{where}, <TxDtls> {position}"
        amount = (
            _camt_amount(detail.find("Amt"), detail_where)
            or _camt_amount(detail.find("AmtDtls/TxAmt/Amt"), detail_where)
            or (entry_amount if len(details) == 1 else None)
        )
        if amount is None:
            raise StatementUnreadable(f"{detail_where}: no amount for this payment.")
        detail_indicator = detail.text("CdtDbtInd") or indicator
        yield _camt_line(
            detail, entry, detail_indicator, amount, booking_date, entry_ids, position
        )


def _camt_line(detail, entry, indicator, amount, booking_date, entry_ids, position):
    source = detail or entry
    texts = [node.element.text or "" for node in source.find_all("RmtInf/Ustrd")]
    texts += [
        node.element.text or ""
        for node in source.find_all("RmtInf/Strd/CdtrRefInf/Ref")
    ]
    texts += [
        node.element.text or "" for node in source.find_all("RmtInf/Strd/AddtlRmtInf")
    ]
    remittance = " ".join(text.strip() for text in texts if text.strip())
    if not remittance:
        remittance = source.text("AddtlTxInf")
    party = "Dbtr" if indicator == "CRDT" else "Cdtr"
    name = ""
    iban = ""
    if detail is not None:
        name = detail.text(f"RltdPties/{party}/Nm") or detail.text(
            f"RltdPties/{party}/Pty/Nm"
        )
        iban = detail.text(f"RltdPties/{party}Acct/Id/IBAN") or detail.text(
            f"RltdPties/{party}Acct/Id/Othr/Id"
        )
    detail_ids = []
    if detail is not None:
        detail_ids = [
            detail.text("Refs/AcctSvcrRef"),
            detail.text("Refs/EndToEndId"),
            detail.text("Refs/InstrId"),
        ]
    ids = [
        value
        for value in [*detail_ids[:1], *entry_ids, *detail_ids[1:]]
        if value and value.upper() != "NOTPROVIDED"
    ]
    value, currency = amount
    return {
        "date": booking_date,
        "amount": value,
        "currency": currency,
        "is_credit": indicator == "CRDT",
        "remittance": remittance,
        "name": name,
        "iban": iban,
        "ids": list(dict.fromkeys(ids)),
        "position": position,
    }
