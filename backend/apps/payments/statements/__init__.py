"""Read bank statements (CAMT.053, MT940, CSV) into plain `StatementLine`s.

Pure functions: no database, no settings beyond what the caller passes. Every
reader returns credits and debits alike (the importer books only credits) and
raises `StatementUnreadable` naming the line or element that is wrong, so a
malformed file applies nothing. One module per format; `lines` holds the
line model and the dedup key.
"""

import re

from apps.payments.exceptions import StatementUnreadable
from apps.payments.statements.camt053 import parse_camt053
from apps.payments.statements.csv import (
    CSV_FIELDS,
    CSV_PRESETS,
    CsvDialect,
    csv_dialect_from_mapping,
    detect_csv_dialect,
    parse_amount,
    parse_csv,
)
from apps.payments.statements.lines import (
    FORMATS,
    ParsedStatement,
    StatementLine,
    with_dedup_keys,
)
from apps.payments.statements.mt940 import parse_mt940

__all__ = [
    "CSV_FIELDS",
    "CSV_PRESETS",
    "FORMATS",
    "CsvDialect",
    "ParsedStatement",
    "StatementLine",
    "csv_dialect_from_mapping",
    "detect_csv_dialect",
    "detect_format",
    "parse_amount",
    "parse_camt053",
    "parse_csv",
    "parse_mt940",
    "parse_statement",
    "with_dedup_keys",
]


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
