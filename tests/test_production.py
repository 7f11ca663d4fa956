"""Running in production: webhook mode with its secret, two bot processes on one PostgreSQL
database, `convene doctor`, `convene db backup`, and the token kept out of every log."""

from __future__ import annotations

import asyncio
import logging
import socket
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.cli import main
from bot.config import Settings
from bot.domain.clock import SystemClock
from bot.domain.models import Audience
from bot.domain.notices import AnnouncementSpec, Notices
from bot.domain.request_models import AnswerKind
from bot.domain.requests import Requests, RequestSpec
from bot.domain.roster import Roster
from bot.logs import install_redaction
from bot.services import planner_for
from storage.db import Database
from tests.auxil.data import insert_member
from tests.auxil.fake_bot_api import TOKEN, FakeBotApi, serve
from tests.auxil.harness import Person, message_update
from tests.auxil.process import WAIT, bot_process, until

SECRET = "s3cret-token_for-the-webhook"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def webhook_env(port: int) -> dict[str, str]:
    return {
        "CONVENE_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
        "CONVENE_WEBHOOK_SECRET": SECRET,
        "CONVENE_WEBHOOK_PORT": str(port),
        "CONVENE_QUIET_HOURS": "off",
    }


async def post(port: int, update: dict[str, Any], secret: str | None) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"http://127.0.0.1:{port}/telegram", json=update, headers=headers) as response,
    ):
        return response.status


async def listening(port: int) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if loop.time() > deadline:
                raise AssertionError(f"nothing listens on {port}") from None
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return


async def add_members(database_url: str, people: list[Person], country: str) -> None:
    db = Database(database_url)
    await db.upgrade()
    now = datetime.now(UTC)
    try:
        roster = Roster(db, SystemClock())
        if not await roster.teams():
            await roster.create_team("Executive board", "board")
        async with db.transaction() as tx:
            for person in people:
                await insert_member(
                    tx,
                    person.id,
                    f"{person.first_name} {person.last_name}",
                    country,
                    now,
                    locale="en",
                    team_slug="board",
                )
    finally:
        await db.close()


async def test_webhook_requests_without_the_secret_are_refused(
    database_url: str, tmp_path: Path
) -> None:
    api = FakeBotApi()
    runner, url = await serve(api)
    port = free_port()
    stranger = Person(9090, "Ivan", "Horvat", "hr")
    try:
        async with bot_process(url, database_url, tmp_path, webhook_env(port)):
            await listening(port)
            await until(lambda: bool(api.of("setWebhook")), "the webhook to be set")
            hook = api.of("setWebhook")[-1].params
            assert hook["url"] == f"http://127.0.0.1:{port}/telegram"
            assert hook["secret_token"] == SECRET
            assert await post(port, message_update(stranger, "/start"), None) == 403
            assert await post(port, message_update(stranger, "/start"), "wrong") == 403
            await asyncio.sleep(0.5)
            assert not api.sent(stranger.id)  # nothing was processed
            assert await post(port, message_update(stranger, "/start"), SECRET) == 200
            await until(lambda: bool(api.sent(stranger.id)), "the answer to /start")
    finally:
        await runner.cleanup()


async def test_two_processes_serve_one_bot_without_doing_anything_twice(
    database_url: str, tmp_path: Path
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("several bot processes share a database only on PostgreSQL")
    people = [Person(9100 + i, f"Expert{i}", "Test", "en") for i in range(12)]
    await add_members(database_url, people, "RO")
    # A reminder due a few seconds after both processes start (their first sweep runs 5 s
    # after start-up): each process sweeps; it must be sent once.
    db = Database(database_url)
    no_quiet_hours = planner_for(Settings.parse({"CONVENE_QUIET_HOURS": "off"}))
    try:
        await Requests(db, SystemClock(), no_quiet_hours).create(
            RequestSpec(
                title="Nominate a representative",
                body="",
                deadline=datetime.now(UTC) + timedelta(hours=2, seconds=4),
                timezone="Europe/Bucharest",
                audience=Audience(countries=("RO",)),
                answer_kind=AnswerKind.TEXT,
                reminder_offsets=(7200,),
            ),
            created_by=None,
        )
    finally:
        await db.close()
    api = FakeBotApi()
    runner, url = await serve(api)
    first, second = free_port(), free_port()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    try:
        async with (
            bot_process(url, database_url, tmp_path / "a", webhook_env(first)),
            bot_process(url, database_url, tmp_path / "b", webhook_env(second)),
        ):
            await listening(first)
            await listening(second)
            # The same update reaching both (a retry through the proxy): handled once.
            update = message_update(people[0], "/meetings")
            statuses = await asyncio.gather(
                post(first, update, SECRET), post(second, update, SECRET)
            )
            assert statuses == [200, 200]
            await until(lambda: bool(api.sent(people[0].id)), "the answer to /meetings")
            # Different updates, spread over both: each answered once.
            for index, person in enumerate(people[1:6]):
                await post((first, second)[index % 2], message_update(person, "/help"), SECRET)
            await until(lambda: all(api.sent(p.id) for p in people[1:6]), "the answers to /help")
            # A notice queued in the database: both workers drain it; each member once.
            db = Database(database_url)
            clock = SystemClock()
            try:
                _, total = await Notices(db, clock).announce(
                    AnnouncementSpec("The agenda is attached.", Audience(teams=("board",))),
                    created_by=None,
                    progress_chat_id=None,
                )
                assert total == len(people)

                def announced() -> list[int | None]:
                    return [
                        c.chat_id for c in api.of("sendMessage") if "agenda is attached" in c.text
                    ]

                await until(lambda: len(announced()) >= len(people), "the announcement")

                def reminded() -> list[int | None]:
                    return [c.chat_id for c in api.of("sendMessage") if "⏰" in c.text]

                await until(lambda: len(reminded()) >= len(people), "the reminders")
                await asyncio.sleep(2)  # time for any duplicate to show
            finally:
                await db.close()
    finally:
        await runner.cleanup()
    answers_to_first = [
        c
        for c in api.sent(people[0].id)
        if not any(mark in c.text for mark in ("📝", "⏰", "agenda is attached"))
    ]
    assert len(answers_to_first) == 1  # the update delivered to both was handled once
    for person in people[1:6]:
        assert len(api.sent(person.id)) >= 1
    assert sorted(announced()) == sorted(p.id for p in people)
    assert sorted(reminded()) == sorted(p.id for p in people)


# -- operations ---------------------------------------------------------------------------


async def run_cli(*args: str) -> int:
    return await asyncio.to_thread(main, list(args))


async def test_doctor_says_what_is_wrong_in_plain_words(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    api = FakeBotApi()
    runner, url = await serve(api)
    monkeypatch.chdir(tmp_path)
    database = f"sqlite+aiosqlite:///{tmp_path / 'convene.db'}"
    monkeypatch.setenv("CONVENE_DATABASE_URL", database)
    monkeypatch.setenv("CONVENE_TELEGRAM_API_URL", url)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    try:
        assert await run_cli("doctor") == 1  # the database is empty
        out = capsys.readouterr().out
        assert "is empty: run `convene db upgrade`" in out
        assert "The token works: this is @convene_test_bot." in out
        assert await run_cli("db", "upgrade") == 0
        capsys.readouterr()
        assert await run_cli("doctor") == 0
        out = capsys.readouterr().out
        assert "the latest" in out and out.strip().endswith("All good.")
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:wrong")
        assert await run_cli("doctor") == 1
        out = capsys.readouterr().out
        assert "Telegram refused the token" in out or "Cannot reach" in out or "error" in out
        assert "123:wrong" not in out
        monkeypatch.setenv("CONVENE_WEBHOOK_URL", "http://example.org/hook")
        assert await run_cli("doctor") == 1
        out = capsys.readouterr().out
        assert "CONVENE_WEBHOOK_URL must be an https:// URL" in out
        assert "CONVENE_WEBHOOK_SECRET must be set" in out
    finally:
        await runner.cleanup()


async def test_backup_is_a_consistent_copy_while_the_database_is_in_use(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "convene.db"
    url = f"sqlite+aiosqlite:///{path}"
    monkeypatch.setenv("CONVENE_DATABASE_URL", url)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    await add_members(url, [Person(9200 + i, f"E{i}", "T", "en") for i in range(30)], "AL")
    db = Database(url)  # held open, as by the running bot
    try:
        async with db.transaction() as tx:
            await tx.meta.set("marker", "before the backup")
        assert await run_cli("db", "backup", "--output", "copy.db") == 0
        assert "integrity check: ok" in capsys.readouterr().out
        assert await run_cli("db", "backup", "--output", "copy.db") == 1  # never overwrites
    finally:
        await db.close()
    with sqlite3.connect(tmp_path / "copy.db") as copy:
        assert copy.execute("SELECT count(*) FROM members").fetchone()[0] == 30
        assert copy.execute("SELECT value FROM bot_meta WHERE key='marker'").fetchone()[0] == (
            "before the backup"
        )
    monkeypatch.setenv("CONVENE_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    assert await run_cli("db", "backup") == 2
    assert "pg_dump" in capsys.readouterr().err


def test_the_token_never_reaches_a_log(caplog: pytest.LogCaptureFixture) -> None:
    handler = logging.StreamHandler()
    logging.getLogger().addHandler(handler)
    try:
        install_redaction(TOKEN)
        assert any(f.__class__.__name__ == "Redact" for f in handler.filters)
        record = logging.LogRecord(
            "httpx", logging.INFO, __file__, 1, "POST %s", (f"https://api/bot{TOKEN}/getMe",), None
        )
        for log_filter in handler.filters:
            log_filter.filter(record)  # type: ignore[union-attr]
        assert TOKEN not in record.getMessage() and "<token>" in record.getMessage()
        try:
            raise RuntimeError(f"failed at /bot{TOKEN}/sendMessage")
        except RuntimeError:
            import sys

            failing = logging.LogRecord(
                "telegram", logging.ERROR, __file__, 1, "boom", None, sys.exc_info()
            )
        for log_filter in handler.filters:
            log_filter.filter(failing)  # type: ignore[union-attr]
        assert TOKEN not in logging.Formatter().format(failing)
    finally:
        logging.getLogger().removeHandler(handler)
    settings = Settings.parse(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "CONVENE_WEBHOOK_URL": "https://bot.example.org/hook",
            "CONVENE_WEBHOOK_SECRET": SECRET,
        }
    )
    assert TOKEN not in repr(settings) and SECRET not in repr(settings)
