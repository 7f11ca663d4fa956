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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from itertools import islice

from bot.domain.xlsx import XlsxBook
from bot.i18n import zone

# A cell of an export: text, a number, or a local time (shown in the column's zone).
Cell = str | int | datetime | None
Table = list[list[Cell]]
# What the writers take: a table, or rows made as they are read (each iteration starts
# again: the same rows are written as CSV and as XLSX).
Rows = Iterable[Sequence[Cell]]


class LazyRows:
    """Rows made as they are read, again at each reading: an export of 100,000 rows is
    not held as a table beside the report it is made of."""

    def __init__(self, make: Callable[[], Iterator[Sequence[Cell]]]) -> None:
        self.make = make

    def __iter__(self) -> Iterator[Sequence[Cell]]:
        return self.make()


def local_time(value: datetime | None, timezone: str) -> datetime | None:
    """The moment in the column's zone, to the minute."""
    return local_times(timezone)(value)


def local_times(timezone: str) -> Callable[[datetime | None], datetime | None]:
    """`local_time` for a column of times in one zone: the zone is looked up once, and a
    time equal to the one before (a notice's rows were all queued at one moment) is not
    converted again."""
    tz = zone(timezone)
    last: list[datetime | None] = [None, None]

    def convert(value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value == last[0]:
            return last[1]
        local = value.astimezone(tz).replace(second=0, microsecond=0)
        last[0], last[1] = value, local
        return local

    return convert


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
    if type(value) is str:  # most cells: the test a hundred thousand rows take first
        return "'" + value if value.startswith(_FORMULA_START) else value
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime(_SECONDS if seconds or value.second else _MINUTES)
    if isinstance(value, int):
        return str(value)
    return neutralize(value)


# Column widths, and which columns of times show seconds, follow the header and the first
# rows: enough to read, and a 100,000-row export is not read twice to measure it.
WIDTH_SAMPLE = 1000


def _sampled(rows: Rows) -> tuple[list[Sequence[Cell]], Iterator[Sequence[Cell]], set[int]]:
    """The first rows, the rest, and the columns whose times have seconds among the first
    (the audit log's; a later time with seconds shows them in any case)."""
    rest = iter(rows)
    head = list(islice(rest, WIDTH_SAMPLE))
    seconds = {
        c
        for row in head
        for c, value in enumerate(row)
        if isinstance(value, datetime) and value.second
    }
    return head, rest, seconds


def tables_to_csv(tables: Mapping[str, Rows]) -> bytes:
    """One CSV file, the tables one after another with a titled blank line between.

    UTF-8 with a byte-order mark, so that Excel shows Cyrillic and Greek names right.
    Rows are written as they come.
    """
    return _write(tables, csv_file=True, xlsx_file=False)[0]


def tables_to_xlsx(tables: Mapping[str, Rows]) -> bytes:
    """One sheet per table (bot/domain/xlsx.py): the header in bold and kept in view, text
    as text, numbers as numbers, times as dates; rows written as they come."""
    return _write(tables, csv_file=False, xlsx_file=True)[1]


def tables_to_files(tables: Mapping[str, Rows]) -> tuple[bytes, bytes]:
    """The CSV and the XLSX file from one reading of the rows: an export's rows are made
    (local times, names) once for both files, batch by batch."""
    return _write(tables, csv_file=True, xlsx_file=True)


_BATCH = 1000  # rows made, then written to each file, at a time


def _csv_row(row: Sequence[Cell], seconds: set[int]) -> list[str]:
    """`cell_text` of each cell, with the most common cell, a plain text, done inline."""
    out = []
    for c, value in enumerate(row):
        if type(value) is str and not value.startswith(_FORMULA_START):
            out.append(value)
        else:
            out.append(cell_text(value, c in seconds))
    return out


def _batches(
    head: list[Sequence[Cell]], rest: Iterator[Sequence[Cell]]
) -> Iterator[list[Sequence[Cell]]]:
    """The sampled first rows, then the rest a batch at a time."""
    yield head
    while batch := list(islice(rest, _BATCH)):
        yield batch


def _write(tables: Mapping[str, Rows], *, csv_file: bool, xlsx_file: bool) -> tuple[bytes, bytes]:
    out = io.BytesIO()
    stream = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    writer = csv.writer(stream)
    book = XlsxBook(neutralize) if xlsx_file else None
    for index, (title, rows) in enumerate(tables.items()):
        head, rest, seconds = _sampled(rows)
        if csv_file:
            if index:
                writer.writerow([])
            writer.writerow([f"# {title}"])
        if book is not None:
            widths: dict[int, int] = {}
            for row in head:
                for c, value in enumerate(row):
                    widths[c] = max(widths.get(c, 0), len(cell_text(value, c in seconds)))
            book.sheet(
                title,
                [min(60, max(10, widths[c] + 2)) for c in range(len(widths))],
                frozenset(seconds),
            )
            if head:
                book.rows([[cell_text(value) for value in head[0]]])
        for number, batch in enumerate(_batches(head, rest)):
            if csv_file:
                writer.writerows(_csv_row(row, seconds) for row in batch)
            if book is not None:
                book.rows(batch[1:] if number == 0 else batch)
    stream.flush()
    stream.detach()  # the bytes stay open
    return (out.getvalue() if csv_file else b""), (book.close() if book is not None else b"")
