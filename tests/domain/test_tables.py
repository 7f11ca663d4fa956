"""Exports as a spreadsheet opens them: no formula runs, numbers and dates are typed."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime

from openpyxl import load_workbook

from bot.domain.tables import (
    WIDTH_SAMPLE,
    Cell,
    LazyRows,
    local_time,
    local_times,
    neutralize,
    tables_to_csv,
    tables_to_files,
    tables_to_xlsx,
)
from bot.i18n import zone

BELGRADE = zone("Europe/Belgrade")
TABLES = {
    "Attendance": [
        ["country", "name", "institution", "attempts", "answered at (Europe/Belgrade)", "note"],
        ["BA", "=HYPERLINK(\"http://evil.example\",\"Click\")", "=1+1", 2,
         datetime(2026, 12, 3, 9, 30, tzinfo=BELGRADE), None],
        ["RS", "+381 11 123", "-2+3", 0, None, "@SUM(A1)"],
        ["MK", "\tTab", "\rReturn", 1, datetime(2026, 12, 4, 17, 5, tzinfo=BELGRADE), "Ana - B"],
    ],
    "Audit log": [
        ["at (Europe/Belgrade)", "action"],
        [datetime(2026, 12, 4, 17, 5, 7, tzinfo=BELGRADE), "export"],
        [datetime(2026, 12, 4, 17, 6, 0, tzinfo=BELGRADE), "export"],
    ],
}  # fmt: skip


def test_formula_leading_text_gets_an_apostrophe() -> None:
    assert neutralize("=1+1") == "'=1+1"
    for text in ("+1", "-1", "@x", "\tx", "\rx"):
        assert neutralize(text) == "'" + text
    for text in ("Ana Petrović", "1+1", "", "Bosnia & Herzegovina", "x=1"):
        assert neutralize(text) == text


def test_csv_cells_are_neutralized_and_times_written_plainly() -> None:
    text = tables_to_csv(TABLES).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[2] == [
        "BA", "'=HYPERLINK(\"http://evil.example\",\"Click\")", "'=1+1", "2", "2026-12-03 09:30", "",
    ]  # fmt: skip
    assert rows[3] == ["RS", "'+381 11 123", "'-2+3", "0", "", "'@SUM(A1)"]
    assert rows[4] == ["MK", "'\tTab", "'\rReturn", "1", "2026-12-04 17:05", "Ana - B"]
    # A column of times with seconds shows them in every row.
    assert rows[-2:] == [["2026-12-04 17:05:07", "export"], ["2026-12-04 17:06:00", "export"]]


def test_xlsx_holds_text_numbers_and_dates() -> None:
    sheet = load_workbook(io.BytesIO(tables_to_xlsx(TABLES)))["Attendance"]
    first = sheet[2]
    assert [c.value for c in first[:3]] == [
        "BA",
        '\'=HYPERLINK("http://evil.example","Click")',
        "'=1+1",
    ]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert first[3].value == 2 and first[3].data_type == "n"
    assert first[4].value == datetime(2026, 12, 3, 9, 30)  # local time; the header names the zone
    assert first[4].is_date and first[4].number_format == "yyyy-mm-dd hh:mm"
    assert first[5].value is None
    assert sheet["E4"].value == datetime(2026, 12, 4, 17, 5)
    log = load_workbook(io.BytesIO(tables_to_xlsx(TABLES)))["Audit log"]
    assert [c.number_format for c in log["A"][1:]] == ["yyyy-mm-dd hh:mm:ss"] * 2
    assert sheet["C3"].value == "'-2+3" and sheet["D3"].value == 0


def test_both_files_from_one_reading_of_the_rows_are_the_files_written_one_by_one() -> None:
    """/export and /proof make their rows once for the CSV and the XLSX: the same files,
    with more rows than one batch and than the sample the widths come from."""
    readings = []

    def rows() -> Iterator[list[Cell]]:
        readings.append(1)
        yield ["country", "name", "sent at (Europe/Belgrade)"]
        for n in range(WIDTH_SAMPLE * 2 + 7):
            sent = datetime(2026, 12, 4, 9, n % 60, n % 3, tzinfo=BELGRADE) if n % 5 else None
            yield ["BA" if n % 2 else "RS", f"=Member {n} Ćirić", sent]

    tables = {"Recipients": LazyRows(rows), **TABLES}
    csv_file, xlsx_file = tables_to_files(tables)
    assert len(readings) == 1
    assert csv_file == tables_to_csv(tables)
    together = load_workbook(io.BytesIO(xlsx_file))
    alone = load_workbook(io.BytesIO(tables_to_xlsx(tables)))
    assert together.sheetnames == alone.sheetnames == ["Recipients", "Attendance", "Audit log"]
    for name in together.sheetnames:
        assert [[c.value for c in r] for r in together[name].iter_rows()] == [
            [c.value for c in r] for r in alone[name].iter_rows()
        ]
    recipients = [[c.value for c in r] for r in together["Recipients"].iter_rows()]
    assert len(recipients) == 1 + WIDTH_SAMPLE * 2 + 7
    assert recipients[-1][1] == "'=Member 2006 Ćirić"


def test_a_column_of_times_converts_like_each_time_alone() -> None:
    convert = local_times("Asia/Tbilisi")
    moments = [
        datetime(2026, 12, 4, 9, 30, 15, tzinfo=BELGRADE),
        datetime(2026, 12, 4, 9, 30, 15, tzinfo=BELGRADE),  # the same again: remembered
        None,
        datetime(2026, 3, 29, 1, 59, tzinfo=BELGRADE),
    ]
    assert [convert(m) for m in moments] == [local_time(m, "Asia/Tbilisi") for m in moments]
    assert convert(moments[0]) == datetime(2026, 12, 4, 12, 30, tzinfo=zone("Asia/Tbilisi"))
