"""The xlsx half of writers.py, imported on the first xlsx export: openpyxl
in write-only mode, every text cell neutralised as writers.neutralise says."""

import tempfile
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from apps.exports.tables import COUNT, DATE, DATETIME, MONEY, Table
from apps.exports.writers import CHUNK_BYTES, neutralise

NUMBER_FORMATS = {
    MONEY: "#,##0.00",
    DATETIME: "yyyy-mm-dd hh:mm",
    DATE: "yyyy-mm-dd",
    COUNT: "0",
}
BOLD = Font(bold=True)


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
