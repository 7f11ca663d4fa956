"""A fresh, migrated database with N active members, for the benchmarks.

Why bulk inserts: going through the registration flow (or even the repositories one row
at a time) would take longer than the broadcast being measured. Core `insert()` with a
list of rows is one executemany per table, and the rows are exactly what the bot's own
registration writes: an account (chat, locale, time zone), an active member with consent,
and membership of one team (so a meeting can be announced to "the team").

Where the database lives:
- no URL: a SQLite file in a temporary directory, removed afterwards;
- a PostgreSQL URL: a schema of its own in that database (as tests/conftest.py does),
  dropped afterwards, so a benchmark never touches tables it did not create.

    async with fresh_database(None) as url:
        seeded = await seed_members(url, 1000)
"""

from __future__ import annotations

import contextlib
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from bot.config import normalize_database_url
from bot.i18n import SUPPORTED_LOCALES
from handlers.menus import MENU_VERSION
from storage.db import Database
from storage.schema import accounts, bot_meta, members, team_members, teams

FIRST_USER_ID = 10_000_000
TEAM_SLUG = "bench"
COUNTRIES = ("RS", "MK", "AL", "BA", "ME", "HR")
TIMEZONES = ("Europe/Belgrade", "Europe/Skopje", "Asia/Tbilisi")
# A few catalogs of the region, plus the source language; only those the bot ships.
LOCALES = tuple(
    loc for loc in ("en", "sr_Latn", "mk", "sq", "bs", "hr", "cnr") if loc in SUPPORTED_LOCALES
)
POSITIONS = ("Expert", "Senior adviser", "Head of unit", "Counsellor")
CHUNK = 2000  # rows per executemany: keeps memory flat for large N


@dataclass(frozen=True)
class Seeded:
    url: str
    telegram_user_ids: list[int]  # also the chat ids
    member_ids: list[int]  # same order as telegram_user_ids
    team_slug: str
    seconds: float  # how long the inserts took (migrations excluded)


@contextlib.asynccontextmanager
async def fresh_database(database_url: str | None) -> AsyncIterator[str]:
    """Yield the URL of an empty database; remove it afterwards."""
    if not database_url:
        with tempfile.TemporaryDirectory(prefix="convene-bench-") as folder:
            yield f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        return
    url = normalize_database_url(database_url)
    if url.startswith("sqlite"):
        # A given SQLite file is used as it is: the caller chose it.
        yield url
        return
    if not url.startswith("postgresql+asyncpg://"):
        raise ValueError("--database-url must be a sqlite+aiosqlite:// or postgresql URL")
    import asyncpg

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(f'CREATE SCHEMA "{schema}"')
        separator = "&" if "?" in url else "?"
        yield f"{url}{separator}search_path={schema}"
    finally:
        await connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await connection.close()


def _rows(n: int, now: datetime) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    account_rows: list[dict[str, object]] = []
    member_rows: list[dict[str, object]] = []
    for i in range(n):
        user_id = FIRST_USER_ID + i
        country = COUNTRIES[i % len(COUNTRIES)]
        account_rows.append(
            {
                "telegram_user_id": user_id,
                "chat_id": user_id,
                "locale": LOCALES[i % len(LOCALES)],
                "timezone": TIMEZONES[i % len(TIMEZONES)],
                "awaiting": None,
                "created_at": now,
                "updated_at": now,
            }
        )
        member_rows.append(
            {
                "telegram_user_id": user_id,
                "full_name": f"Bench Member {i:05d}",
                "country": country,
                "institution": f"Ministry of Environment ({country})",
                "position": POSITIONS[i % len(POSITIONS)],
                "email": None,
                "status": "active",
                "consent_version": "1",
                "consent_at": now,
                "created_at": now,
                "updated_at": now,
            }
        )
    return account_rows, member_rows


def _chunks(rows: list[dict[str, object]]) -> list[list[dict[str, object]]]:
    return [rows[i : i + CHUNK] for i in range(0, len(rows), CHUNK)]


async def seed_members(url: str, n: int, *, team_slug: str = TEAM_SLUG) -> Seeded:
    """Migrate `url` and insert `n` active members, all in the team `team_slug`."""
    if n < 1:
        raise ValueError("n must be at least 1")
    db = Database(url)
    try:
        await db.upgrade()
        started = time.perf_counter()
        now = datetime.now(UTC)
        account_rows, member_rows = _rows(n, now)
        async with db.engine.begin() as connection:
            for chunk in _chunks(account_rows):
                await connection.execute(sa.insert(accounts), chunk)
            for chunk in _chunks(member_rows):
                await connection.execute(sa.insert(members), chunk)
            team_id = (
                await connection.execute(
                    sa.insert(teams)
                    .values(slug=team_slug, name="Benchmark team", created_at=now)
                    .returning(teams.c.id)
                )
            ).scalar_one()
            id_rows = (
                await connection.execute(
                    sa.select(members.c.id, members.c.telegram_user_id)
                    .where(members.c.telegram_user_id >= FIRST_USER_ID)
                    .where(members.c.telegram_user_id < FIRST_USER_ID + n)
                    .order_by(members.c.telegram_user_id)
                )
            ).all()
            link_rows: list[dict[str, object]] = [
                {"team_id": team_id, "member_id": row.id, "role": "member", "created_at": now}
                for row in id_rows
            ]
            for chunk in _chunks(link_rows):
                await connection.execute(sa.insert(team_members), chunk)
            # Each member got their command menu when they registered: the bot starts
            # without refreshing them all in the background (bench.scale measures that).
            await connection.execute(
                sa.insert(bot_meta).values(key="menu_version", value=MENU_VERSION)
            )
        seconds = time.perf_counter() - started
    finally:
        await db.close()
    if len(id_rows) != n:
        raise RuntimeError(f"seeded {len(id_rows)} members, expected {n}")
    return Seeded(
        url=url,
        telegram_user_ids=[int(row.telegram_user_id) for row in id_rows],
        member_ids=[int(row.id) for row in id_rows],
        team_slug=team_slug,
        seconds=seconds,
    )


async def _main() -> None:  # pragma: no cover - a manual check
    import argparse

    parser = argparse.ArgumentParser(description="Seed a throw-away database and count it.")
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    async with fresh_database(args.database_url) as url:
        seeded = await seed_members(url, args.members)
        db = Database(url)
        try:
            async with db.engine.connect() as connection:
                counts = {
                    table.name: (
                        await connection.execute(sa.select(sa.func.count()).select_from(table))
                    ).scalar_one()
                    for table in (accounts, members, teams, team_members)
                }
        finally:
            await db.close()
        print(f"seeded {args.members} members in {seeded.seconds:.2f} s: {counts}")


if __name__ == "__main__":  # pragma: no cover
    import asyncio

    asyncio.run(_main())
