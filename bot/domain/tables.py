"""Tables as files for a spreadsheet: CSV and XLSX.

Exports (bot/domain/exports.py) are written for people who open them in a spreadsheet:
the same columns in the CSV and in the XLSX. In the XLSX, numbers are numbers and times
are dates, so that they sort and filter. A text that a spreadsheet would run as a formula
(a name "=HYPERLINK(…)") gets a leading apostrophe, as OWASP advises against CSV
injection: the files go to other institutions.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from bot.i18n import zone

# A cell of an export: text, a number, or a local time (shown in the column's zone).
Cell = str | int | datetime | None
Table = list[list[Cell]]


def local_time(value: datetime | None, timezone: str) -> datetime | None:
    """The moment in the column's zone, to the minute."""
    if value is None:
        return None
    return value.astimezone(zone(timezone)).replace(second=0, microsecond=0)


# Leading characters that make a spreadsheet read a cell as a formula (OWASP, "CSV
# injection"); a tab or carriage return first can hide one.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_MINUTES, _SECONDS = "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"


def neutralize(text: str) -> str:
    """A text a spreadsheet shows as it is, never runs: "=1+1" becomes "'=1+1"."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def cell_text(value: Cell, seconds: bool = False) -> str:
    """A cell as text (the CSV, and the command line's listings); a time to the minute,
    or to the second in a column of times that have them (the audit log's)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime(_SECONDS if seconds or value.second else _MINUTES)
    if isinstance(value, int):
        return str(value)
    return neutralize(value)


def _columns_with_seconds(rows: Sequence[Sequence[Cell]]) -> set[int]:
    return {
        c
        for row in rows
        for c, value in enumerate(row)
        if isinstance(value, datetime) and value.second
    }


def tables_to_csv(tables: Mapping[str, Sequence[Sequence[Cell]]]) -> bytes:
    """One CSV file, the tables one after another with a titled blank line between.

    UTF-8 with a byte-order mark, so that Excel shows Cyrillic and Greek names right.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    for index, (title, rows) in enumerate(tables.items()):
        if index:
            writer.writerow([])
        writer.writerow([f"# {title}"])
        seconds = _columns_with_seconds(rows)
        writer.writerows([cell_text(v, c in seconds) for c, v in enumerate(row)] for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# Column widths follow the header and the first rows: enough to read, and a 100,000-row
# export is not read twice to measure it.
WIDTH_SAMPLE = 1000


def tables_to_xlsx(tables: Mapping[str, Sequence[Sequence[Cell]]]) -> bytes:
    """One sheet per table, written in openpyxl's write-only mode: rows stream into the
    file instead of being held as cell objects (an export of 100,000 invitees)."""
    workbook = Workbook(write_only=True)
    for title, rows in tables.items():
        sheet = workbook.create_sheet(title[:31])  # Excel's limit
        seconds = _columns_with_seconds(rows)
        widths: dict[int, int] = {}
        for row in rows[:WIDTH_SAMPLE]:
            for c, value in enumerate(row):
                widths[c] = max(widths.get(c, 0), len(cell_text(value, c in seconds)))
        # Write-only: the columns and the frozen header are set before the first row.
        for c, width in widths.items():
            sheet.column_dimensions[get_column_letter(c + 1)].width = min(60, max(10, width + 2))
        sheet.freeze_panes = "A2"
        for r, row in enumerate(rows):
            if r == 0:
                sheet.append([_header_cell(sheet, value) for value in row])
            else:
                sheet.append(
                    [_xlsx_value(sheet, value, c in seconds) for c, value in enumerate(row)]
                )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _header_cell(sheet: Any, value: Cell) -> Any:
    cell = WriteOnlyCell(sheet, value=cell_text(value))
    cell.font = Font(bold=True)
    return cell


def _xlsx_value(sheet: Any, value: Cell, seconds: bool) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        # Excel has no time zones: the local time, its zone is in the header.
        cell = WriteOnlyCell(sheet, value=value.replace(tzinfo=None))
        cell.number_format = "yyyy-mm-dd hh:mm:ss" if seconds else "yyyy-mm-dd hh:mm"
        return cell
    if isinstance(value, int):
        return value
    # Text as text: `neutralize` has put an apostrophe before anything a spreadsheet would
    # run as a formula, so openpyxl stores it as a string.
    return neutralize(value)
