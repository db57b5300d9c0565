"""Rendering a table as xlsx or CSV, a chunk of bytes at a time.

CSV goes through `defusedcsv`, a line at a time. The xlsx is written with
openpyxl in write-only mode: rows stream into a temporary file on disk
(strings inline, no shared-string table in memory), the workbook is zipped
there, and the file is read out in chunks. Either way memory stays flat
however many rows there are.

Every text cell a spreadsheet could run as a formula (it starts with `=`,
`+`, `-`, `@`, a tab or a carriage return) is neutralised with a leading
apostrophe in both formats, so a guest named `=HYPERLINK(...)` is shown as
text; in the xlsx it is a string cell, never a formula.
"""

import io
import re
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal

from defusedcsv import csv as defused_csv

from apps.exports.tables import Table

XLSX, CSV, CSV_SEMICOLON = "xlsx", "csv", "csv-semicolon"
CONTENT_TYPES = {
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    CSV: "text/csv; charset=utf-8",
    CSV_SEMICOLON: "text/csv; charset=utf-8",
}
EXTENSIONS = {XLSX: "xlsx", CSV: "csv", CSV_SEMICOLON: "csv"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?[0-9]+(?:[.,][0-9]+)?")
CHUNK_BYTES = 64 * 1024
# Excel needs the byte order mark to read a CSV as UTF-8.
UTF8_BOM = "\ufeff"


def neutralise(text: str) -> str:
    """Text a spreadsheet shows as text, never runs as a formula."""
    if text.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


# --- CSV ------------------------------------------------------------------------------


class _Line(io.StringIO):
    """Collects what the CSV writer writes, one line at a time."""

    def take(self) -> str:
        line = self.getvalue()
        self.seek(0)
        self.truncate()
        return line


def _csv_value(value, *, decimal_comma: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        text = f"{value:.2f}"
        return text.replace(".", ",") if decimal_comma else text
    if isinstance(value, str):
        return neutralise(value)
    return str(value)


def csv_chunks(table: Table, *, semicolons: bool) -> Iterator[bytes]:
    """CSV in UTF-8 with a BOM; `semicolons`: `;` between fields and decimal
    commas, which is what Excel in Portugal (and most of Europe) opens."""
    line = _Line()
    writer = defused_csv.writer(line, delimiter=";" if semicolons else ",")
    writer.writerow([column.title for column in table.columns])
    yield (UTF8_BOM + line.take()).encode()
    buffered = []
    for values in table.rows:
        writer.writerow([_csv_value(v, decimal_comma=semicolons) for v in values])
        buffered.append(line.take())
        if len(buffered) >= 500:
            yield "".join(buffered).encode()
            buffered.clear()
    if buffered:
        yield "".join(buffered).encode()


def chunks(table: Table, file_format: str) -> Iterator[bytes]:
    if file_format == XLSX:
        # openpyxl (7 MiB of RSS) is imported by the first xlsx export, not
        # by every gunicorn worker at start (docs/benchmarks.md, memory).
        from apps.exports.xlsx import xlsx_chunks

        return xlsx_chunks(table)
    return csv_chunks(table, semicolons=file_format == CSV_SEMICOLON)
