"""Our XLSX writer (bot/domain/xlsx.py), read back as a spreadsheet reads it (openpyxl):
text as given, numbers and dates typed, the header in bold and kept in view, widths."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

from openpyxl import load_workbook

from bot.domain.tables import LazyRows, tables_to_xlsx
from bot.domain.xlsx import XlsxSheet, column_letter, sheet_titles, write_xlsx
from bot.i18n import zone

BELGRADE = zone("Europe/Belgrade")


def test_a_round_trip_keeps_text_numbers_dates_and_empty_cells() -> None:
    rows = [
        ["name", "count", "at (Europe/Belgrade)", "note"],
        ["Ђорђе Јовановић", 3, datetime(2026, 12, 3, 9, 30, tzinfo=BELGRADE), None],
        ['=HYPERLINK("http://evil.example","Click")', 0, None, ""],
        ["Ana\x00 Bell\x07\x1b", -7, datetime(2026, 12, 4, 17, 5, 7, tzinfo=BELGRADE), "  x  "],
        ["a & b < c > d \"e\" 'f'", 12345678901, None, "line\nbreak\r\ttab"],
        ["_x0041_ stays", None, None, "\U0001f600 ok"],
    ]
    sheet = load_workbook(io.BytesIO(tables_to_xlsx({"People": rows})))["People"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[1][:2] == ["Ђорђе Јовановић", 3]
    assert values[1][2] == datetime(2026, 12, 3, 9, 30)  # local time; the header names the zone
    assert values[1][3] is None
    # Formula injection: the apostrophe, and no cell is a formula.
    assert values[2][0] == '\'=HYPERLINK("http://evil.example","Click")'
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert values[2][1] == 0 and values[2][2] is None and values[2][3] is None
    # Characters XML 1.0 forbids are dropped; spaces at the edges are kept.
    assert values[3] == ["Ana Bell", -7, datetime(2026, 12, 4, 17, 5, 7), "  x  "]
    assert values[4] == ["a & b < c > d \"e\" 'f'", 12345678901, None, "line\nbreak\r\ttab"]
    assert values[5][3] == "\U0001f600 ok"
    assert sheet["B2"].data_type == "n" and sheet["C2"].is_date
    # A column of times with seconds shows them in every row; else to the minute.
    assert sheet["C2"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert sheet["C4"].number_format == "yyyy-mm-dd hh:mm:ss"
    minutes = load_workbook(io.BytesIO(tables_to_xlsx({"P": rows[:3]})))["P"]
    assert minutes["C2"].number_format == "yyyy-mm-dd hh:mm"


def test_excels_escape_in_a_text_is_itself_escaped() -> None:
    # Excel reads "_x0041_" as "A": the writer escapes the underscore (openpyxl does not
    # undo it, Excel and LibreOffice do).
    data = write_xlsx([XlsxSheet("S", [10], [["_x0041_"]])])
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert "_x005F_x0041_" in zf.read("xl/worksheets/sheet1.xml").decode()


def test_the_header_is_bold_and_frozen_and_widths_follow_the_first_rows() -> None:
    rows = [["country", "a rather long column header"], ["BA", "x" * 100]]
    rows += [["RS", "y"]] * 2000 + [["MK", "z" * 500]]  # past the sample: not measured
    sheet = load_workbook(io.BytesIO(tables_to_xlsx({"T": rows})))["T"]
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.b and sheet["B1"].font.b and not sheet["A2"].font.b
    assert sheet.column_dimensions["A"].width == 10  # at least 10
    assert sheet.column_dimensions["B"].width == 60  # at most 60
    assert sheet.max_row == len(rows)
    short = load_workbook(io.BytesIO(tables_to_xlsx({"T": rows[:1]})))["T"]
    assert short.column_dimensions["B"].width == len("a rather long column header") + 2


def test_sheet_titles_are_cut_cleaned_and_unique() -> None:
    long = "Proof of notification: notice 12345"  # 35 characters, one ":"
    titles = [long, "What? [draft] a/b\\c*", long, ""]
    workbook = load_workbook(
        io.BytesIO(tables_to_xlsx({title: [["x"]] for title in titles[:2]} | {"": [["y"]]}))
    )
    assert workbook.sheetnames == ["Proof of notification notice 12", "What draft abc", "Sheet3"]
    assert all(len(name) <= 31 for name in workbook.sheetnames)
    named = sheet_titles(titles)
    assert named[0] == long.replace(":", "")[:31] and len(named[0]) == 31
    assert named[2] != named[0] and len(named[2]) <= 31
    assert named[3] == "Sheet4"
    title = "Attendance of the expert team 12"  # 32 characters
    assert load_workbook(io.BytesIO(tables_to_xlsx({title: [["x"]]}))).sheetnames == [title[:31]]


def test_rows_are_read_as_they_come_and_again_for_each_file() -> None:
    made = 0

    def rows() -> object:
        nonlocal made
        made += 1
        yield ["n"]
        yield from ([i] for i in range(3))

    lazy = LazyRows(rows)  # type: ignore[arg-type]
    first = load_workbook(io.BytesIO(tables_to_xlsx({"N": lazy})))["N"]
    second = load_workbook(io.BytesIO(tables_to_xlsx({"N": lazy})))["N"]
    assert [c.value for c in first["A"]] == [c.value for c in second["A"]] == ["n", 0, 1, 2]
    assert made == 2
    assert [column_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]


def test_an_empty_table_is_an_empty_sheet() -> None:
    workbook = load_workbook(io.BytesIO(tables_to_xlsx({"Empty": [], "Header": [["a"]]})))
    assert workbook.sheetnames == ["Empty", "Header"]
    assert workbook["Empty"]["A1"].value is None and workbook["Header"]["A1"].value == "a"
