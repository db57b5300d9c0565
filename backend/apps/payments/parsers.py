"""Read bank statements (CAMT.053, MT940, CSV) into plain `StatementLine`s.

Pure functions: no database, no settings beyond what the caller passes. Every
reader returns credits and debits alike (the importer books only credits) and
raises `StatementUnreadable` naming the line or element that is wrong, so a
malformed file applies nothing. XML goes through defusedxml with DTDs
forbidden: no entity is ever expanded and nothing external is fetched.
"""

import csv
import hashlib
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import mt940
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET
from mt940.options import Options

from apps.payments.exceptions import StatementUnreadable

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
        keyed.append(_replace(line, dedup_key=key))
    return keyed


def _replace(line: StatementLine, **changes) -> StatementLine:
    from dataclasses import replace

    return replace(line, **changes)


def detect_format(content: bytes) -> str:
    head = content[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return "camt053"
    if re.search(
        rb"^:(20|25|60F|61):", content[:65536], re.MULTILINE
    ) or head.startswith((b"{1:", b":940:")):
        return "mt940"
    return "csv"


def parse_statement(
    content: bytes,
    *,
    file_format: str | None = None,
    csv_dialect: "CsvDialect | None" = None,
) -> ParsedStatement:
    file_format = file_format or detect_format(content)
    if file_format == "camt053":
        lines = parse_camt053(content)
    elif file_format == "mt940":
        lines = parse_mt940(content)
    elif file_format == "csv":
        lines = parse_csv(content, csv_dialect or detect_csv_dialect(content))
    else:
        raise StatementUnreadable(f"Unknown format {file_format!r}.", field="format")
    return ParsedStatement(file_format=file_format, lines=with_dedup_keys(lines))


# --- CAMT.053 ---------------------------------------------------------------


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
    return amount, node.attrib.get("Ccy", "")


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
        "amount": abs(value),
        "currency": currency,
        "is_credit": indicator == "CRDT",
        "remittance": remittance,
        "name": name,
        "iban": iban,
        "ids": list(dict.fromkeys(ids)),
        "position": position,
    }


# --- MT940 --------------------------------------------------------------------

_TAG_LINE = re.compile(r"^:(\d\d[A-Z]?|NS|940):")
_STRUCTURED_CODES = (
    "EREF|CNTP|REMI|RTRN|PREF|CSID|MARF|ORDP|BENM|NAME|ADDR|ISDT|SUM|PURP|ULTC|"
    "ULTD|ULTB|IBAN|BIC|BUSP|ORIG|EXCH|CHGS|FX|MARF"
)
_STRUCTURED_FIELD = re.compile(rf"/({_STRUCTURED_CODES})/")


def _decode_mt940(content: bytes) -> str:
    for encoding in ("utf-8-sig",):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            pass
    # Raiffeisen Hungary's CMI export is DOS Latin-2; cp852 decodes any byte,
    # and the library's own detection agrees for these files.
    return content.decode("cp852")


def _fields(text: str) -> list[list[str]]:
    """Group physical lines into fields: a tag line and its continuation lines."""
    grouped: list[list[str]] = []
    for line in text.split("\n"):
        if _TAG_LINE.match(line) or line.startswith(("{", "-}")) or not grouped:
            grouped.append([line])
        else:
            grouped[-1].append(line)
    return grouped


def _join_fields(grouped: list[list[str]]) -> str:
    return "\n".join("\n".join(lines) for lines in grouped)


def _mt940_dialect(text: str) -> str:
    if "/TRCD/" in text:
        return "ing"  # ING NL: every field wraps at 65 columns, even inside tokens
    if "{1:F01ASNB" in text:
        return "asn"
    if re.search(r"^:86:\d{3}\?", text, re.MULTILINE):
        return "zka"  # German DFÜ/ZKA: ?NN subfields
    if re.search(r"^:86:/", text, re.MULTILINE):
        return "structured"  # Rabobank and friends: /CODE/value/
    if re.search(r"^:25:UBRTHUHB/", text, re.MULTILINE):
        return "raiffeisen_hu"
    return "plain"


def _prepare_mt940(text: str, dialect: str) -> str:
    """Undo the physical line wrapping the library cannot know about."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    grouped = _fields(text)
    if dialect == "ing":
        for lines in grouped:
            if lines[0].startswith(("{", "-}")):
                continue
            joined = "".join(lines)
            if joined.startswith(":61:"):
                # The supplementary /TRCD/ code goes back on its own line.
                joined = joined.replace("/TRCD/", "\n/TRCD/", 1)
            lines[:] = [joined]
    elif dialect in ("zka", "structured"):
        for lines in grouped:
            if lines[0].startswith(":86:"):
                # Subfields wrap anywhere, and a trailing space before the
                # break belongs to the text.
                lines[:] = ["".join(lines)]
    return _join_fields(grouped)


def _structured_86(details: str) -> dict[str, str]:
    parts = _STRUCTURED_FIELD.split(details)
    values: dict[str, str] = {}
    for index in range(1, len(parts) - 1, 2):
        values.setdefault(parts[index], parts[index + 1])
    return values


def _remi_text(value: str) -> str:
    value = value.strip("/")
    if value.startswith("USTD//"):
        return value[len("USTD//") :].rstrip("/")
    if value.startswith("STRD/"):
        return [part for part in value.split("/") if part][-1]
    return value.rstrip("/")


def parse_mt940(content: bytes) -> list[StatementLine]:
    text = _decode_mt940(content)
    dialect = _mt940_dialect(text)
    prepared = _prepare_mt940(text, dialect)
    tags = {61: mt940.tags.StatementASNB()} if dialect == "asn" else None
    try:
        transactions = mt940.parse(
            prepared, tags=tags, options=Options(applicant_iban=True)
        )
    except Exception as error:  # the library raises bare RuntimeError/ValueError
        raise StatementUnreadable(_mt940_error(prepared, error)) from None
    if not transactions.transactions and ":20:" not in prepared:
        raise StatementUnreadable("Not an MT940 file: no :20: or :61: field.")
    lines = []
    for transaction in transactions:
        data = transaction.data
        amount = data["amount"]
        status = data.get("status", "")
        is_credit = status in ("C", "RD")
        line = _mt940_line(data, dialect)
        lines.append(
            StatementLine(
                booking_date=data.get("date"),
                amount=abs(amount.amount),
                currency=amount.currency or data.get("currency", ""),
                is_credit=is_credit,
                account=(data.get("account_identification") or "").split(" ")[0],
                **line,
            )
        )
    return lines


def _mt940_error(prepared: str, error: Exception) -> str:
    message = str(error.args[0]) if error.args else str(error)
    match = re.search(r"from '(.*?)'", message, re.DOTALL)
    if match:
        fragment = match.group(1).encode().decode("unicode_escape").split("\n")[0]
        for number, line in enumerate(prepared.split("\n"), start=1):
            if fragment and fragment in line:
                return f"MT940 line {number} cannot be read: {line.strip()[:80]!r}."
    return f"The MT940 file cannot be read: {message.splitlines()[0][:200]}"


def _mt940_line(data: dict, dialect: str) -> dict:
    details = data.get("transaction_details") or ""
    bank_reference = (data.get("bank_reference") or "").strip()
    extra = (data.get("extra_details") or "").strip()
    result = {
        "remittance": "",
        "counterparty_name": "",
        "counterparty_account": "",
        "bank_transaction_id": bank_reference,
    }
    if dialect == "zka":
        result["remittance"] = collapse(data.get("purpose") or "")
        result["counterparty_name"] = collapse(data.get("applicant_name") or "")
        result["counterparty_account"] = data.get("applicant_iban") or ""
    elif dialect in ("ing", "structured"):
        fields = _structured_86(details.replace("\n", ""))
        result["remittance"] = _remi_text(fields.get("REMI", ""))
        if "CNTP" in fields:
            parts = fields["CNTP"].split("/")
            result["counterparty_account"] = parts[0]
            result["counterparty_name"] = parts[2] if len(parts) > 2 else ""
        else:
            result["counterparty_name"] = fields.get("NAME", "").strip()
            # Rabobank puts the payer's IBAN on the :61: continuation line;
            # ING's is its /TRCD/ transaction code.
            result["counterparty_account"] = "" if dialect == "ing" else extra
    elif dialect == "asn":
        text_lines = [line.strip() for line in details.split("\n")]
        first = text_lines[0].split(" ", 1) if text_lines else [""]
        result["counterparty_account"] = first[0]
        result["counterparty_name"] = extra or (first[1] if len(first) > 1 else "")
        result["remittance"] = "".join(line for line in text_lines[1:] if line)
    elif dialect == "raiffeisen_hu":
        text_lines = details.split("\n")
        if not bank_reference and text_lines:
            result["bank_transaction_id"] = text_lines[0].strip()
        if len(text_lines) > 2:
            result["counterparty_account"] = text_lines[1].strip()
            result["counterparty_name"] = text_lines[2].strip()
        result["remittance"] = "".join(line.strip() for line in text_lines[3:])
    else:
        remittance_lines = []
        for line in details.split("\n"):
            match = re.match(r"\s*REK:\s*(\S+?)\s*/NAAM:\s*(.*)$", line)
            if match:
                result["counterparty_account"] = match.group(1)
                result["counterparty_name"] = match.group(2).strip()
            else:
                remittance_lines.append(line.rstrip())
        result["remittance"] = "\n".join(remittance_lines).strip()
    return result


# --- CSV ------------------------------------------------------------------------

CSV_FIELDS = (
    "date",
    "amount",
    "currency",
    "remittance",
    "counterparty",
    "transaction_id",
)


@dataclass(frozen=True)
class CsvDialect:
    """How to read one bank's CSV: which column holds what, and in what form.

    `columns` maps our field names to the file's header names (or `#N`, the
    N-th column counting from 0). Fields beyond the default header:
    `counterparty_account`, `credit` / `debit` (separate unsigned amount
    columns) and `sign` (a column holding `credit_marks` or anything else).
    """

    columns: dict
    delimiter: str = ""  # empty: sniffed from the header line
    decimal: str = ""  # "," or "."; empty: decided per value
    date_formats: tuple = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d.%m.%y")
    encoding: str = ""  # empty: UTF-8, else Windows-1252
    default_currency: str = ""
    credit_marks: tuple = ("H", "C", "CR", "CRDT")
    skip_rows_without_date: bool = False


CSV_PRESETS: dict[str, CsvDialect] = {
    "default": CsvDialect(columns={name: name for name in CSV_FIELDS}),
    "postbank": CsvDialect(
        columns={
            "date": "Buchungstag",
            "amount": "Betrag (€)",
            "remittance": "Buchungsdetails",
            "counterparty": "Auftraggeber",
        },
        delimiter=";",
        decimal=",",
        date_formats=("%d.%m.%Y",),
        encoding="cp1252",
        default_currency="EUR",
    ),
    "sparkasse": CsvDialect(
        columns={
            "date": "Valutadatum",
            "amount": "Betrag",
            "currency": "Währung",
            "remittance": "Verwendungszweck",
            "counterparty": "Begünstigter/Zahlungspflichtiger",
            "counterparty_account": "Kontonummer",
        },
        delimiter=";",
        decimal=",",
        date_formats=("%d.%m.%y", "%d.%m.%Y"),
        encoding="latin-1",
    ),
    "bbbank": CsvDialect(
        columns={
            "date": "Valuta",
            "amount": "Umsatz",
            "currency": "Währung",
            "remittance": "Vorgang/Verwendungszweck",
            "counterparty": "Empfänger/Zahlungspflichtiger",
            "sign": "#9",
        },
        delimiter=";",
        decimal=",",
        date_formats=("%d.%m.%Y",),
        encoding="latin-1",
        credit_marks=("H",),
        skip_rows_without_date=True,
    ),
    "lloyds": CsvDialect(
        columns={
            "date": "Transaction Date",
            "credit": "Credit Amount",
            "debit": "Debit Amount",
            "remittance": "Transaction Description",
        },
        delimiter=",",
        decimal=".",
        date_formats=("%d/%m/%Y",),
        default_currency="GBP",
    ),
}


def detect_csv_dialect(content: bytes) -> CsvDialect:
    """The preset whose header the file has: the default layout, or a bank's.

    An upload that names no layout is read with the first preset whose header
    is found, so a business that exports from one of these banks never has
    to name it; other layouts need a column mapping.
    """
    for dialect in CSV_PRESETS.values():
        text = _decode_csv(content, dialect.encoding)
        rows = list(
            csv.reader(
                io.StringIO(text, newline=""), delimiter=_delimiter(text, dialect)
            )
        )
        try:
            _find_header(rows, dialect)
        except StatementUnreadable:
            continue
        return dialect
    raise StatementUnreadable(
        "CSV header not found: no known layout ("
        + ", ".join(CSV_PRESETS)
        + ") matches the first 50 lines. Choose a preset or give a column "
        "mapping whose date and amount columns the file has."
    )


def csv_dialect_from_mapping(mapping: dict, base: str = "default") -> CsvDialect:
    """A preset with some columns or options replaced (settings or `--csv-map`)."""
    from dataclasses import replace

    dialect = CSV_PRESETS[base]
    options = {key: value for key, value in mapping.items() if key not in _ALL_COLUMNS}
    columns = {key: value for key, value in mapping.items() if key in _ALL_COLUMNS}
    unknown = set(options) - {
        "delimiter",
        "decimal",
        "date_formats",
        "encoding",
        "default_currency",
        "credit_marks",
        "skip_rows_without_date",
    }
    if unknown:
        raise StatementUnreadable(
            f"Unknown CSV mapping keys: {', '.join(sorted(unknown))}.", field="csv_map"
        )
    for key in ("date_formats", "credit_marks"):
        if isinstance(options.get(key), str):
            options[key] = tuple(options[key].split("|"))
    return replace(dialect, columns={**dialect.columns, **columns}, **options)


_ALL_COLUMNS = (*CSV_FIELDS, "counterparty_account", "credit", "debit", "sign")


def _decode_csv(content: bytes, encoding: str) -> str:
    if encoding:
        return content.decode(encoding, errors="replace")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def parse_amount(raw: str, decimal: str = "") -> Decimal:
    """`1.337,42`, `¤ 42,00`, `-23,42`, `214`, `1,234.50` -> Decimal."""
    cleaned = re.sub(r"[^\d,.\-+]", "", raw)
    negative = cleaned.startswith("-") or cleaned.endswith("-")
    cleaned = cleaned.strip("+-")
    if not cleaned or not re.fullmatch(r"[\d.,]+", cleaned):
        raise ValueError(raw)
    if not decimal:
        if "," in cleaned and "." in cleaned:
            decimal = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
        else:
            decimal = "," if "," in cleaned else "."
    thousands = "." if decimal == "," else ","
    cleaned = cleaned.replace(thousands, "").replace(decimal, ".")
    value = Decimal(cleaned)
    return -value if negative else value


def _parse_date(raw: str, formats: tuple) -> date:
    raw = raw.strip()
    for date_format in formats:
        try:
            return datetime.strptime(raw, date_format).date()
        except ValueError:
            continue
    raise ValueError(raw)


def parse_csv(content: bytes, dialect: CsvDialect) -> list[StatementLine]:
    text = _decode_csv(content, dialect.encoding)
    rows = list(
        csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text, dialect))
    )
    header_index, header = _find_header(rows, dialect)
    positions = {}
    for name, column in dialect.columns.items():
        if column.startswith("#") and column[1:].isdigit():
            positions[name] = int(column[1:])
        elif column.strip() in header:
            positions[name] = header.index(column.strip())
    lines = []
    for row_number, row in enumerate(rows[header_index + 1 :], start=header_index + 2):
        if not any(cell.strip() for cell in row):
            continue

        def cell(name, row=row):
            position = positions.get(name)
            if position is None or position >= len(row):
                return ""
            return row[position].strip()

        where = f"CSV record {row_number}"
        if dialect.skip_rows_without_date and not cell("date"):
            continue
        try:
            booking_date = _parse_date(cell("date"), dialect.date_formats)
        except ValueError:
            raise StatementUnreadable(
                f"{where}: date {cell('date')!r} is not in a known format."
            ) from None
        try:
            amount, is_credit = _csv_amount(cell, dialect)
        except ValueError as error:
            raise StatementUnreadable(
                f"{where}: amount {error.args[0]!r} is not a number."
            ) from None
        currency = (cell("currency") or dialect.default_currency).upper()
        if not re.fullmatch(r"[A-Z]{3}", currency):
            raise StatementUnreadable(
                f"{where}: currency {currency!r} is not a three-letter code."
            )
        lines.append(
            StatementLine(
                booking_date=booking_date,
                amount=amount,
                currency=currency,
                is_credit=is_credit,
                remittance=cell("remittance"),
                counterparty_name=cell("counterparty"),
                counterparty_account=cell("counterparty_account"),
                bank_transaction_id=cell("transaction_id"),
            )
        )
    return lines


def _csv_amount(cell, dialect: CsvDialect) -> tuple[Decimal, bool]:
    if "credit" in dialect.columns or "debit" in dialect.columns:
        credit, debit = cell("credit"), cell("debit")
        if credit:
            return abs(parse_amount(credit, dialect.decimal)), True
        if debit:
            return abs(parse_amount(debit, dialect.decimal)), False
        raise ValueError("")
    value = parse_amount(cell("amount"), dialect.decimal)
    if "sign" in dialect.columns:
        return abs(value), cell("sign").upper() in dialect.credit_marks
    return abs(value), value > 0


def _delimiter(text: str, dialect: CsvDialect) -> str:
    if dialect.delimiter:
        return dialect.delimiter
    sample = "\n".join(text.splitlines()[:20])
    counts = {candidate: sample.count(candidate) for candidate in (",", ";", "\t")}
    return max(counts, key=counts.get)


def _find_header(rows: list[list[str]], dialect: CsvDialect) -> tuple[int, list[str]]:
    required = [
        column.strip()
        for name, column in dialect.columns.items()
        if name in ("date", "amount", "credit") and not column.startswith("#")
    ]
    for index, row in enumerate(rows[:50]):
        header = [cell.strip() for cell in row]
        if all(column in header for column in required):
            return index, header
    raise StatementUnreadable(
        "CSV header not found: expected columns "
        + ", ".join(repr(column) for column in required)
        + " in one of the first 50 lines (choose a preset or a column mapping)."
    )
