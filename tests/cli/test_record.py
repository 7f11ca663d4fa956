"""Exports from `convene` (bot/cli/record.py): audited and safe to open, run in process
against a real database."""

from __future__ import annotations

import pytest

from storage.db import Database
from tests.auxil.cli import run


async def test_exports_from_the_cli_are_audited_and_safe_to_open(
    env: str, capsys: pytest.CaptureFixture[str], tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from openpyxl import load_workbook

    from bot.domain.audit import AuditLog
    from bot.domain.clock import SystemClock
    from tests.auxil.data import insert_member

    assert await run("team", "create", "Criminal matters", "--slug", "criminal") == 0
    db = Database(env)
    try:
        async with db.transaction() as tx:
            await insert_member(
                tx, 901, '=HYPERLINK("http://evil.example","Click")', "BA", datetime.now(UTC),
                team_slug="criminal", institution="=1+1",
            )  # fmt: skip
    finally:
        await db.close()
    assert await run(
        "meeting", "create", "--title", "MLA & extradition", "--start", "2030-09-15 09:30",
        "--end", "2030-09-15 17:00", "--city", "Sarajevo", "--team", "criminal",
    ) == 0  # fmt: skip
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "slug: see-2030\ntitle: Action plan 2030\nitems:\n"
        "  - ref: '1.1'\n    title: Ratify\n    responsible: [BA]\n    deadline: '2031-03-01'\n",
        encoding="utf-8",
    )
    assert await run("plan", "import", str(plan)) == 0
    capsys.readouterr()
    assert await run("export", "meeting", "1", "--format", "xlsx") == 0
    assert capsys.readouterr().out == "Wrote meeting-1.xlsx (1 invited).\n"
    assert await run("export", "meeting", "1") == 0
    assert await run("export", "plan", "1", "--format", "xlsx") == 0
    assert await run("export", "proof", "1") == 0
    assert await run("export", "audit", "--output", "log.csv") == 0

    attendance = load_workbook(tmp_path / "meeting-1.xlsx")["Attendance"]
    row = [cell for cell in attendance[2]]
    assert [c.value for c in row[:3]] == [
        "BA",
        '\'=HYPERLINK("http://evil.example","Click")',
        "'=1+1",
    ]
    assert all(c.data_type != "f" for line in attendance.iter_rows() for c in line)
    text = (tmp_path / "meeting-1.csv").read_bytes().decode("utf-8-sig")
    assert '"\'=HYPERLINK(""http://evil.example"",""Click"")",\'=1+1' in text
    obligations = list(load_workbook(tmp_path / "plan-1.xlsx")["Obligations"].values)
    assert obligations[1][3] == datetime(2031, 3, 1, 23, 59)  # a date, in the plan's zone

    db = Database(env)
    try:
        entries = await AuditLog(db, SystemClock()).entries()
    finally:
        await db.close()
    exports = [
        (e.entry.object_type, e.entry.object_id, e.actor)
        for e in entries
        if e.entry.action == "export"
    ]
    assert exports == [
        ("meeting", "1", "system"),
        ("meeting", "1", "system"),
        ("plan", "1", "system"),
        ("notice", "1", "system"),
        ("audit", None, "system"),
    ]
