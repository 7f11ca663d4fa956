"""The roster from `convene` (bot/cli/roster.py), run in process against a real database:
the first steps of a secretariat (also its first invitation links) and the members list."""

from __future__ import annotations

import csv
import io
import json

import pytest

from storage.db import Database
from tests.auxil.cli import HEAD, run


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
