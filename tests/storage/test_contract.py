"""The storage contract, run against every backend (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from bot.domain.models import MemberStatus, Role, TeamRole
from storage.db import Database, SchemaTooNewError, alembic_config
from storage.schema import metadata

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


async def test_migrations_are_idempotent_and_match_the_schema(db: Database) -> None:
    assert await db.upgrade() == HEAD
    assert await db.upgrade() == HEAD

    def diff(connection: sa.Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        return compare_metadata(context, metadata)

    async with db.engine.connect() as connection:
        assert await connection.run_sync(diff) == []


async def test_a_schema_newer_than_the_code_is_refused(db: Database) -> None:
    async with db.engine.begin() as connection:
        await connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaTooNewError, match="9999"):
        await db.upgrade()


async def test_datetimes_come_back_aware_and_in_utc(db: Database) -> None:
    belgrade = timezone(timedelta(hours=1))
    async with db.transaction() as tx:
        await tx.accounts.ensure(1, 1, datetime(2026, 11, 23, 10, 0, tzinfo=belgrade))
    async with db.transaction() as tx:
        row = (await tx.connection.execute(sa.text("SELECT 1"))).scalar_one()
        assert row == 1
        account_created = (
            await tx.connection.execute(sa.select(metadata.tables["accounts"].c.created_at))
        ).scalar_one()
    assert account_created == NOW
    assert account_created.tzinfo is not None
    with pytest.raises(sa.exc.StatementError):
        async with db.transaction() as tx:
            await tx.accounts.ensure(2, 2, datetime(2026, 1, 1))  # naive: refused


async def test_a_failed_transaction_leaves_nothing(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction() as tx:
            await tx.teams.create("t", "Team", NOW)
            raise RuntimeError("boom")
    async with db.transaction() as tx:
        assert await tx.teams.all() == []


async def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(sa.exc.IntegrityError):
        async with db.transaction() as tx:
            await tx.members.create(
                now=NOW,
                telegram_user_id=12345,  # no such account
                full_name="Nobody",
                country="RS",
                institution="-",
                position="-",
                status="active",
                consent_version="1",
                consent_at=NOW,
            )


async def test_members_roles_teams_and_invites(db: Database) -> None:
    async with db.transaction() as tx:
        team = await tx.teams.create("board", "Executive board", NOW)
        await tx.accounts.ensure(10, 10, NOW)
        await tx.accounts.set_preferences(10, NOW, locale="hy", timezone="Asia/Yerevan")
        member_id = await tx.members.create(
            now=NOW,
            telegram_user_id=10,
            full_name="Armen Sargsyan",
            country="AM",
            institution="Prosecutor General's Office",
            position="Deputy",
            status="active",
            consent_version="1",
            consent_at=NOW,
        )
        await tx.teams.add_member(team.id, member_id, TeamRole.CHAIR, NOW)
        await tx.teams.add_member(team.id, member_id, TeamRole.CHAIR, NOW)  # idempotent
        assert await tx.roles.grant(10, Role.FOCAL_POINT, NOW, "AM")
        assert not await tx.roles.grant(10, Role.FOCAL_POINT, NOW, "AM")
        assert await tx.roles.grant(10, Role.ADMIN, NOW)
        assert not await tx.roles.grant(
            10, Role.ADMIN, NOW
        )  # "" country collides on PostgreSQL too
        invite_id = await tx.invites.create(
            token_hash="h" * 64,
            team_ids=[team.id],
            now=NOW,
            country="AM",
            max_uses=2,
            approval="manual",
            team_role="member",
            expires_at=NOW + timedelta(days=1),
        )
    async with db.transaction() as tx:
        found = await tx.members.search(team_slug="board", country="AM", status=MemberStatus.ACTIVE)
        assert [(m.full_name, m.locale, m.timezone, m.teams) for m in found] == [
            ("Armen Sargsyan", "hy", "Asia/Yerevan", ("board",))
        ]
        assert await tx.members.search(country="RS") == []
        assert sorted(await tx.roles.of(10)) == sorted([(Role.FOCAL_POINT, "AM"), (Role.ADMIN, "")])
        invite = await tx.invites.by_hash("h" * 64)
        assert invite is not None and [t.slug for t in invite.teams] == ["board"]
        assert await tx.invites.consume(invite_id, NOW)
        assert await tx.invites.consume(invite_id, NOW)
        assert not await tx.invites.consume(invite_id, NOW)  # used up
        assert await tx.members.set_status_if(
            member_id, MemberStatus.ACTIVE, MemberStatus.REVOKED, NOW
        )
        assert not await tx.members.set_status_if(
            member_id, MemberStatus.ACTIVE, MemberStatus.REVOKED, NOW
        )


async def test_concurrent_consumers_of_a_single_use_link_get_one_use(db: Database) -> None:
    async with db.transaction() as tx:
        team = await tx.teams.create("t", "T", NOW)
        invite_id = await tx.invites.create(
            token_hash="c" * 64,
            team_ids=[team.id],
            now=NOW,
            max_uses=1,
            approval="auto",
            team_role="member",
            expires_at=NOW + timedelta(days=1),
        )

    async def take() -> bool:
        async with db.transaction() as tx:
            return await tx.invites.consume(invite_id, NOW)

    results = await asyncio.gather(*(take() for _ in range(5)))
    assert sorted(results) == [False, False, False, False, True]


async def test_registration_drafts_and_processed_updates(db: Database) -> None:
    async with db.transaction() as tx:
        team = await tx.teams.create("t", "T", NOW)
        invite_id = await tx.invites.create(
            token_hash="d" * 64, team_ids=[team.id], now=NOW, max_uses=1, approval="auto",
            team_role="member", expires_at=NOW + timedelta(days=1),
        )  # fmt: skip
        await tx.accounts.ensure(20, 20, NOW)
        await tx.registrations.save(
            20, invite_id, "name", {"locale": "ka", "full_name": "ნინო"}, NOW
        )
        await tx.registrations.save(
            20, invite_id, "country", {"locale": "ka", "full_name": "ნინო"}, NOW
        )
    async with db.transaction() as tx:
        assert await tx.registrations.get(20) == (
            invite_id,
            "country",
            {"locale": "ka", "full_name": "ნინო"},
        )
        assert await tx.updates.claim(5, NOW)
        assert not await tx.updates.claim(5, NOW)
        assert await tx.updates.prune(NOW + timedelta(seconds=1)) == 1
        await tx.meta.set("bot_username", "a")
        await tx.meta.set("bot_username", "b")
        assert await tx.meta.get("bot_username") == "b"


async def test_database_errors_never_show_the_values_of_a_query(db: Database) -> None:
    """Answers, names and file names stay out of error messages, and so out of the log."""
    from storage.schema import accounts

    async with db.transaction() as tx:
        await tx.accounts.ensure(42, 42, NOW)
    with pytest.raises(sa.exc.IntegrityError) as raised:
        async with db.transaction() as tx:
            await tx.connection.execute(
                sa.insert(accounts).values(
                    telegram_user_id=42, chat_id=42, timezone="Jelena Marković's answer",
                    created_at=NOW, updated_at=NOW,
                )
            )  # fmt: skip
    assert "Jelena" not in str(raised.value)
    assert "hidden due to hide_parameters" in str(raised.value)
