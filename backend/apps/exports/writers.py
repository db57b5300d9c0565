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
import tempfile
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal

from defusedcsv import csv as defused_csv
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from apps.exports.tables import COUNT, DATE, DATETIME, MONEY, Table

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

NUMBER_FORMATS = {
    MONEY: "#,##0.00",
    DATETIME: "yyyy-mm-dd hh:mm",
    DATE: "yyyy-mm-dd",
    COUNT: "0",
}
BOLD = Font(bold=True)


def neutralise(text: str) -> str:
    """Text a spreadsheet shows as text, never runs as a formula."""
    if text.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


# --- xlsx -----------------------------------------------------------------------------


def _xlsx_value(value):
    if isinstance(value, datetime):
        # Excel has no timezones: the business's local wall-clock time.
        return value.replace(tzinfo=None)
    if isinstance(value, str):
        return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


def _xlsx_row(sheet, columns, values):
    cells = []
    for column, value in zip(columns, values, strict=True):
        cell = WriteOnlyCell(sheet, _xlsx_value(value))
        if column.kind in NUMBER_FORMATS and isinstance(value, (Decimal, int, date)):
            cell.number_format = NUMBER_FORMATS[column.kind]
        cells.append(cell)
    return cells


def _title_row(sheet, titles):
    cells = []
    for title in titles:
        cell = WriteOnlyCell(sheet, _xlsx_value(title))
        cell.font = BOLD
        cells.append(cell)
    return cells


def xlsx_chunks(table: Table) -> Iterator[bytes]:
    with tempfile.TemporaryFile() as output:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(table.name)
        sheet.append(_title_row(sheet, [column.title for column in table.columns]))
        for values in table.rows:
            sheet.append(_xlsx_row(sheet, table.columns, values))
        for block in table.totals():
            sheet.append([])
            sheet.append(_title_row(sheet, [block.title]))
            sheet.append(_title_row(sheet, [column.title for column in block.columns]))
            for values in block.rows:
                sheet.append(_xlsx_row(sheet, block.columns, values))
        workbook.save(output)
        output.seek(0)
        while chunk := output.read(CHUNK_BYTES):
            yield chunk


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
        return xlsx_chunks(table)
    return csv_chunks(table, semicolons=file_format == CSV_SEMICOLON)
