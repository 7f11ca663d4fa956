"""The `convene` command, run in process against a real database."""

from __future__ import annotations

import csv
import io
import json

import pytest

from bot.cli import main
from storage.db import Database
from tests.storage.test_contract import HEAD


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path) -> str:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    monkeypatch.setenv("CONVENE_DATABASE_URL", database_url)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    return database_url


async def run(*args: str) -> int:
    import asyncio

    # main() runs its own event loop; keep it off the test's loop.
    return await asyncio.to_thread(main, list(args))


async def test_first_steps_of_a_secretariat(env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert await run("db", "upgrade") == 0
    assert f"at migration {HEAD}." in capsys.readouterr().out
    assert await run("admin", "add", "424242") == 0
    assert await run("admin", "add", "424242") == 0
    assert "already" in capsys.readouterr().out
    assert await run("focal", "add", "515151", "--country", "mk") == 0
    assert (
        await run("team", "create", "Regional expert team – criminal matters", "--slug", "criminal")
        == 0
    )
    assert await run("team", "create", "Executive board") == 0
    capsys.readouterr()
    assert await run("team", "list") == 0
    assert capsys.readouterr().out.splitlines() == [
        "criminal\tRegional expert team – criminal matters",
        "executive-board\tExecutive board",
    ]
    assert await run("team", "create", "Again", "--slug", "criminal") == 1
    assert "exists already" in capsys.readouterr().err

    assert await run(
        "invite", "create", "--team", "criminal", "--team", "executive-board",
        "--country", "RS", "--uses", "5", "--expires", "7d", "--approval", "auto",
    ) == 0  # fmt: skip
    out = capsys.readouterr().out
    token = next(line.split()[1] for line in out.splitlines() if line.startswith("Token:"))
    assert 16 <= len(token) <= 64
    assert "(start the bot once" in out  # no token and no stored username: no link yet
    assert "Country:  RS" in out and "Uses:     5" in out

    assert await run("invite", "create", "--team", "nope") == 1
    assert "no team with the slug 'nope'" in capsys.readouterr().err
    assert await run("invite", "create", "--team", "criminal", "--expires", "soon") == 1
    assert await run("invite", "revoke", "1") == 0
    assert await run("invite", "revoke", "1") == 1

    db = Database(env)
    async with db.transaction() as tx:
        await tx.meta.set("bot_username", "convene_bot")
    await db.close()
    capsys.readouterr()
    assert await run("invite", "create", "--team", "criminal") == 0
    assert "https://t.me/convene_bot?start=" in capsys.readouterr().out


async def test_members_list_formats(env: str, capsys: pytest.CaptureFixture[str]) -> None:
    from datetime import UTC, datetime

    assert await run("team", "create", "Board", "--slug", "board") == 0
    db = Database(env)
    now = datetime(2026, 11, 23, tzinfo=UTC)
    async with db.transaction() as tx:
        await tx.accounts.ensure(7, 7, now)
        member_id = await tx.members.create(
            now=now, telegram_user_id=7, full_name="Ана Петровић", country="RS",
            institution="Тужилаштво", position="Заменик", status="active",
            consent_version="1", consent_at=now,
        )  # fmt: skip
        team = await tx.teams.by_slug("board")
        assert team is not None
        from bot.domain.models import TeamRole

        await tx.teams.add_member(team.id, member_id, TeamRole.MEMBER, now)
    await db.close()
    capsys.readouterr()
    assert await run("members", "list", "--format", "json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["full_name"] == "Ана Петровић" and rows[0]["teams"] == "board"
    assert (
        await run("members", "list", "--format", "csv", "--country", "rs", "--team", "board") == 0
    )
    parsed = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert parsed[0]["institution"] == "Тужилаштво"
    assert await run("members", "list", "--status", "revoked") == 0
    assert "(0 members)" in capsys.readouterr().out
    assert await run("members", "list", "--country", "Serbia") == 1
    assert "not a two-letter" in capsys.readouterr().err


def test_run_without_token_ends_at_once_with_advice(
    env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run"]) == 2
    assert "@BotFather" in capsys.readouterr().err


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


async def test_an_announcement_from_the_cli(
    env: str, capsys: pytest.CaptureFixture[str], tmp_path
) -> None:  # type: ignore[no-untyped-def]
    assert await run("announce", "--all", "--text", "Hello") == 1
    assert "nobody" in capsys.readouterr().err  # no members yet
    assert await run("announce", "--team", "nope", "--text", "Hello") == 1
    assert "unknown team (nope)" in capsys.readouterr().err
    assert await run("announce", "--all", "--text", "x", "--document", "missing.pdf") == 1
    assert "no file 'missing.pdf'" in capsys.readouterr().err


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
