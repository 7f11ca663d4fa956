"""Requests and action plans from `convene` (bot/cli/requests.py, bot/cli/plans.py), run in
process against a real database."""

from __future__ import annotations

import pytest

from storage.db import Database
from tests.auxil.cli import run


async def _member(database_url: str, telegram_id: int, country: str) -> None:
    """An active member in `criminal`, written straight into the database."""
    from datetime import UTC, datetime

    from tests.auxil.data import insert_member

    db = Database(database_url)
    try:
        async with db.transaction() as tx:
            await insert_member(
                tx, telegram_id, f"Expert {telegram_id}", country, datetime.now(UTC),
                team_slug="criminal",
            )  # fmt: skip
    finally:
        await db.close()


async def test_requests_and_plans_from_the_cli(
    env: str, capsys: pytest.CaptureFixture[str], tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook

    assert await run("team", "create", "Criminal matters", "--slug", "criminal") == 0
    await _member(env, 801, "RS")
    await _member(env, 802, "MK")
    capsys.readouterr()
    assert (
        await run(
            "request",
            "create",
            "--title",
            "Nominate your representative",
            "--deadline",
            "2030-09-10",
            "--to",
            "countries=RS,MK",
            "--answer",
            "text",
            "--remind",
            "7d,1d",
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "Request #1 'Nominate your representative' created, due 2030-09-10T21:59" in out
    assert "Sent to:  2 members" in out
    assert (
        await run(
            "request", "create", "--title", "X", "--deadline", "someday", "--to", "countries=RS"
        )
        == 1
    )
    assert "not a date" in capsys.readouterr().err
    assert await run("request", "deadline", "1", "2030-09-20 17:00") == 0
    assert "now due 2030-09-20T15:00" in capsys.readouterr().out
    assert await run("request", "mark", "1", "MK", "not-applicable") == 0
    assert "country:MK is now not_applicable" in capsys.readouterr().out
    assert await run("request", "list") == 0
    assert "0/2\tNominate your representative" in capsys.readouterr().out

    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "slug: see-2030\n"
        "title: Action plan 2030\n"
        "timezone: Europe/Belgrade\n"
        "items:\n"
        "  - ref: '1.1'\n"
        "    title: Semester report\n"
        "    responsible: [RS, MK]\n"
        "    every: semester\n"
        "  - ref: '1.2'\n"
        "    title: Coordination\n"
        "    responsible: countries=RS\n"
        "    permanent: true\n",
        encoding="utf-8",
    )
    assert await run("plan", "import", str(plan)) == 0
    assert "2 items added, 0 updated" in capsys.readouterr().out
    assert await run("plan", "import", str(plan)) == 0  # again: updated, nothing doubled
    assert "0 items added, 2 updated" in capsys.readouterr().out
    table = tmp_path / "plan.csv"
    table.write_text(
        "ref,title,responsible,deadline,every,answer,options\n"
        "A,Ratify the convention,RS;MK,2031-03-01,,choice,Done;Not yet\n"
        "B,Bad rule,RS,,each fortnight,text,\n",
        encoding="utf-8",
    )
    assert await run("plan", "import", str(table), "--slug", "csv-plan") == 1
    assert "item B" in capsys.readouterr().err
    table.write_text(
        "ref,title,responsible,deadline,every,answer,options\n"
        "A,Ratify the convention,RS;MK,2031-03-01,,choice,Done;Not yet\n",
        encoding="utf-8",
    )
    assert await run("plan", "import", str(table), "--slug", "csv-plan", "--title", "CSV") == 0
    assert await run("plan", "list") == 0
    assert "see-2030\tAction plan 2030" in capsys.readouterr().out
    assert await run("plan", "status", "1") == 0
    assert "Semester report" in capsys.readouterr().out
    assert await run("export", "plan", "1", "--format", "xlsx", "--output", "p.xlsx") == 0
    rows = list(load_workbook(tmp_path / "p.xlsx")["Obligations"].values)
    assert rows[0][:4] == ("ref", "item", "rule", "deadline (Europe/Belgrade)")
    assert {row[0] for row in rows[1:]} == {"1.1", "1.2"}
    assert await run("export", "request", "1") == 0
    assert (tmp_path / "request-1.csv").read_bytes().startswith(b"\xef\xbb\xbf# Answers")
    assert await run("request", "cancel", "1") == 0
    assert await run("request", "cancel", "1") == 1
