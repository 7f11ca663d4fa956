"""Numbers are never reused, on either backend: a rejected applicant's or an erased
member's number is not given to the next one, who would then share their audit entries."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command

from bot.domain.audit import Action, record
from bot.domain.models import MemberStatus, TeamRole
from storage.db import Database, alembic_config
from storage.schema import members, team_members
from tests.auxil.cli import HEAD

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
NUMBERED = (
    "members", "teams", "invites", "meetings", "invitations", "notices", "deliveries",
    "requests", "responses", "response_files", "action_plans", "plan_items", "reminders",
)  # fmt: skip


async def _member(db: Database, telegram_user_id: int, name: str, country: str) -> int:
    async with db.transaction() as tx:
        await tx.accounts.ensure(telegram_user_id, telegram_user_id, NOW)
        return await tx.members.create(
            now=NOW,
            telegram_user_id=telegram_user_id,
            full_name=name,
            country=country,
            institution="Ministry of Justice",
            position="Adviser",
            status=MemberStatus.PENDING.value,
            consent_version="2026-11",
            consent_at=NOW,
        )


async def test_a_rejected_applicants_number_is_not_given_to_the_next(db: Database) -> None:
    first = await _member(db, 7001, "Ana Petrović", "RS")
    rejected = await _member(db, 7002, "Arbër Krasniqi", "XK")
    async with db.transaction() as tx:
        await tx.members.delete(rejected)  # a rejection removes the applicant's record
    following = await _member(db, 7003, "Emina Hadžić", "BA")
    assert first < rejected < following
    async with db.transaction() as tx:
        await tx.members.delete(following)
        await tx.members.delete(first)
    assert await _member(db, 7004, "Giorgi Beridze", "GE") > following


async def test_every_numbered_table_is_autoincrement_on_sqlite(db: Database) -> None:
    if not db.is_sqlite:
        return  # PostgreSQL's sequences never give a number twice
    async with db.transaction() as tx:
        rows = await tx.connection.execute(
            sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
        )
        sql = {name: text for name, text in rows}
    for table in NUMBERED:
        assert "AUTOINCREMENT" in sql[table], table


async def test_the_rebuild_keeps_every_row_and_link(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A database of the previous release, with rows, is migrated without losing any:
    the rebuilt tables are parents (ON DELETE CASCADE) of others."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    try:
        async with db.engine.connect() as connection:

            def to_previous(sync: sa.Connection) -> None:
                command.upgrade(alembic_config(sync), "0005")

            await connection.run_sync(to_previous)
            await connection.commit()
        async with db.transaction() as tx:
            team = await tx.teams.create("criminal", "Criminal matters", NOW)
        ids = [await _member(db, 7100 + n, f"Member {n}", "MK") for n in range(3)]
        async with db.transaction() as tx:
            for member_id in ids:
                await tx.teams.add_member(team.id, member_id, TeamRole.MEMBER, NOW)
            # The highest number, named in the audit log, freed before the upgrade.
            await record(tx, NOW, Action.MEMBER_REJECT, "member", ids[-1])
            await tx.members.delete(ids[-1])
        assert await db.upgrade() == HEAD  # through 0006, which rebuilds the tables
        async with db.transaction() as tx:
            links = await tx.connection.execute(sa.select(team_members.c.member_id))
            assert sorted(row[0] for row in links) == ids[:2]
            assert (await tx.connection.execute(sa.text("PRAGMA foreign_keys"))).scalar() == 1
            triggers = await tx.connection.execute(
                sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            )
            assert {row[0] for row in triggers} >= {"audit_log_no_update", "audit_log_no_delete"}
        assert await _member(db, 7200, "Next", "AL") > ids[-1]
        async with db.transaction() as tx:
            # Foreign keys are enforced again: deleting a member takes their team links.
            await tx.members.delete(ids[0])
            links = await tx.connection.execute(sa.select(team_members.c.member_id))
            assert [row[0] for row in links] == [ids[1]]
            count = await tx.connection.execute(sa.select(sa.func.count()).select_from(members))
            assert count.scalar_one() == 2
    finally:
        await db.close()
