"""Meetings from `convene` (bot/cli/meetings.py), run in process against a real database."""

from __future__ import annotations

import pytest

from tests.auxil.cli import run


async def test_meeting_from_a_file_listed_and_exported(
    env: str, capsys: pytest.CaptureFixture[str], tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook

    assert await run("team", "create", "Criminal matters", "--slug", "criminal") == 0
    meeting_file = tmp_path / "meeting.toml"
    meeting_file.write_text(
        'title = "Technical meeting"\n'
        'start = "2030-09-15 09:30"\n'
        'end = "2030-09-15 17:00"\n'
        'timezone = "Europe/Skopje"\n'
        'mode = "hybrid"\n'
        'city = "Ohrid"\n'
        'link = "https://meet.example.org/x"\n'
        'deadline = "2030-09-10"\n'
        "[invite]\n"
        'teams = ["criminal"]\n'
        "[translations.mk]\n"
        'title = "Технички состанок"\n',
        encoding="utf-8",
    )
    capsys.readouterr()
    assert await run("meeting", "create", "--file", str(meeting_file)) == 0
    assert "Meeting #1 'Technical meeting' announced." in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: X\nstart: tomorrow\n", encoding="utf-8")
    assert await run("meeting", "create", "--file", str(bad)) == 1
    assert "cannot read 'tomorrow'" in capsys.readouterr().err
    assert await run("meeting", "list") == 0
    assert "2030-09-15T07:30+00:00\tannounced\tTechnical meeting" in capsys.readouterr().out
    assert await run("export", "meeting", "1", "--format", "xlsx", "--output", "m.xlsx") == 0
    workbook = load_workbook(tmp_path / "m.xlsx")
    assert workbook.sheetnames == ["Attendance", "Answers", "Delivery log"]
    assert await run("export", "meeting", "1", "--format", "csv") == 0
    assert (tmp_path / "meeting-1.csv").read_bytes().startswith(b"\xef\xbb\xbf# Attendance")
    assert await run("export", "meeting", "9") == 1
