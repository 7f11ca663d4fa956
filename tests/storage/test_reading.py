"""Reports read on connections of their own (Database.read): a long report does not hold the
connection every press writes through, on either backend."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from storage.db import Database

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


async def test_a_report_reads_beside_an_open_write(db: Database) -> None:
    async with db.transaction() as tx:
        await tx.teams.create("criminal", "Regional expert team – criminal matters", NOW)
    async with db.transaction() as writing:
        await writing.teams.create("civil", "Civil matters", NOW)
        # The writer holds its connection (on SQLite the only one, with the write lock):
        # a report still reads at once, what was committed before.
        async with asyncio.timeout(5), db.read() as reading:
            slugs = {team.slug for team in await reading.teams.all()}
        assert slugs == {"criminal"}
    async with db.read() as reading:
        assert {team.slug for team in await reading.teams.all()} == {"criminal", "civil"}


async def test_a_report_cannot_write(db: Database) -> None:
    if not db.is_sqlite:
        pytest.skip("on PostgreSQL reports share the pool; read-only is SQLite's pragma")
    with pytest.raises(sa.exc.OperationalError):
        async with db.read() as reading:
            await reading.teams.create("criminal", "Criminal matters", NOW)
