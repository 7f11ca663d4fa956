"""Fixtures shared by every test: real databases, a fake clock, the bot harness.

Storage and end-to-end tests run once per backend. SQLite always runs; PostgreSQL
runs when CONVENE_TEST_POSTGRES_URL is set (CI sets it, and also sets
CONVENE_TEST_REQUIRE_POSTGRES=1 so that a missing server fails instead of skipping).
Each PostgreSQL test gets a schema of its own, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import Settings
from bot.domain.clock import FakeClock
from storage.db import Database
from tests.auxil import telegram_rules
from tests.auxil.fake_bot_api import TOKEN
from tests.auxil.harness import Harness

POSTGRES_URL = os.environ.get("CONVENE_TEST_POSTGRES_URL", "")
REQUIRE_POSTGRES = os.environ.get("CONVENE_TEST_REQUIRE_POSTGRES") == "1"
ADMIN_ID = 900001
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Compile the catalogs, so that plain `pytest` works as well as `python3 dev.py test`."""
    from bot.i18n_tools import compile_all

    problems = compile_all()
    if problems:
        raise pytest.UsageError("Catalogs do not compile:\n" + "\n".join(problems))


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'convene.db'}"
        return
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("CONVENE_TEST_REQUIRE_POSTGRES=1 but CONVENE_TEST_POSTGRES_URL is not set")
        pytest.skip("PostgreSQL not configured: set CONVENE_TEST_POSTGRES_URL to run these tests")
    import asyncpg

    schema = f"t_{uuid.uuid4().hex[:16]}"
    dsn = POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(f'CREATE SCHEMA "{schema}"')
        yield f"{POSTGRES_URL}?search_path={schema}"
    finally:
        await connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await connection.close()


@pytest.fixture(autouse=True)
def nothing_refused_by_telegram() -> Iterator[None]:
    """Fail a test in which the Bot API fake refused a call as Telegram would (bad markup,
    a text too long, bad button data): the app must never send one, even where the test
    does not look at that message. A test that provokes one takes it with take_refusals()."""
    telegram_rules.take_refusals()
    yield
    refusals = telegram_rules.take_refusals()
    assert not refusals, f"Telegram would refuse: {refusals}"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings.parse(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "CONVENE_DATABASE_URL": database_url,
            "CONVENE_TELEGRAM_API_URL": "http://127.0.0.1:9",  # never reached: requests are faked
            "CONVENE_ADMINS": str(ADMIN_ID),
        }
    )


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await database.upgrade()
    yield database
    await database.close()


@pytest.fixture
async def bot(settings: Settings, clock: FakeClock) -> AsyncIterator[Harness]:
    harness = await Harness(settings, clock).start()
    yield harness
    await harness.stop()
