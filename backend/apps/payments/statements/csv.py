"""CSV statements: the default layout, bank presets and column mappings."""

import codecs
import csv
import io
import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from apps.payments.exceptions import StatementUnreadable
from apps.payments.statements.lines import StatementLine, checked_amount

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
    """A preset with some columns or options replaced (settings or `--csv-map`).

    Every value is type-checked here, so a wrong one is a 400 naming it
    rather than an error deep in the parser.
    """
    dialect = CSV_PRESETS[base]
    options = {key: value for key, value in mapping.items() if key not in _ALL_COLUMNS}
    columns = {key: value for key, value in mapping.items() if key in _ALL_COLUMNS}
    unknown = set(options) - set(_OPTION_CHECKS)
    if unknown:
        raise _mapping_error(f"Unknown CSV mapping keys: {', '.join(sorted(unknown))}.")
    for name, column in columns.items():
        if not isinstance(column, str) or not column.strip():
            raise _mapping_error(
                f"Column {name!r} must name a header, or #N for the N-th column."
            )
    for key, value in options.items():
        options[key] = _OPTION_CHECKS[key](key, value)
    return replace(dialect, columns={**dialect.columns, **columns}, **options)


def _mapping_error(detail: str) -> StatementUnreadable:
    return StatementUnreadable(detail, field="csv_map")


def _one_character(key, value):
    if not isinstance(value, str) or len(value) != 1:
        raise _mapping_error(f'{key} must be one character, e.g. ";".')
    return value


def _decimal_mark(key, value):
    if value not in ("", ",", "."):
        raise _mapping_error(f'{key} must be "," or ".".')
    return value


def _texts(key, value):
    """A list of strings, or one string with `|` between them."""
    if isinstance(value, str):
        value = value.split("|")
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(item, str) and item for item in value)
    ):
        raise _mapping_error(f'{key} must be a list of texts, or texts joined by "|".')
    return tuple(value)


def _encoding(key, value):
    if not isinstance(value, str):
        raise _mapping_error(f"{key} must be an encoding name, e.g. cp1252.")
    if value:
        try:
            codecs.lookup(value)
        except LookupError:
            raise _mapping_error(f"{key} {value!r} is not a known encoding.") from None
    return value


def _currency(key, value):
    if not isinstance(value, str) or not re.fullmatch(r"([A-Za-z]{3})?", value):
        raise _mapping_error(f"{key} must be a three-letter code, e.g. EUR.")
    return value.upper()


def _flag(key, value):
    if not isinstance(value, bool):
        raise _mapping_error(f"{key} must be true or false.")
    return value


_OPTION_CHECKS = {
    "delimiter": _one_character,
    "decimal": _decimal_mark,
    "date_formats": _texts,
    "encoding": _encoding,
    "default_currency": _currency,
    "credit_marks": _texts,
    "skip_rows_without_date": _flag,
}


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
        amount = checked_amount(amount, where)
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
