"""Migration 0007: what people were asked before the upgrade is still pending after it."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command

from bot.domain.clock import FakeClock
from bot.domain.pending import Feature, Pending, PendingInputs
from storage.db import Database, alembic_config
from tests.auxil.cli import HEAD

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


async def test_dialogs_questions_and_registrations_become_pending_inputs(
    database_url: str,
) -> None:
    db = Database(database_url)
    try:
        async with db.engine.connect() as connection:

            def to_previous(sync: sa.Connection) -> None:
                command.upgrade(alembic_config(sync), "0006")

            await connection.run_sync(to_previous)
            await connection.commit()
            # 1: writing a meeting; 2: asked for a comment to invitation 17; 3: /timezone;
            # 4: writing an announcement, then asked for a profile field (the question
            # took the next message); 5: registering.
            for user, awaiting in ((1, None), (2, "rsvc:17"), (3, "timezone"), (4, "profile:email"), (5, None)):  # fmt: skip
                await connection.execute(
                    sa.text(
                        "INSERT INTO accounts (telegram_user_id, chat_id, awaiting, created_at,"
                        " updated_at) VALUES (:user, :user, :awaiting, :now, :now)"
                    ),
                    {"user": user, "awaiting": awaiting, "now": NOW},
                )
            for user, kind, step in ((1, "meeting", "agenda"), (4, "announce", "text")):
                await connection.execute(
                    sa.text(
                        "INSERT INTO dialogs (telegram_user_id, kind, step, data, updated_at)"
                        " VALUES (:user, :kind, :step, :data, :now)"
                    ),
                    {
                        "user": user,
                        "kind": kind,
                        "step": step,
                        "data": '{"title": "MLA"}',
                        "now": NOW,
                    },
                )
            await connection.execute(
                sa.text(
                    "INSERT INTO teams (slug, name, created_at) VALUES ('criminal', 'Criminal', :now)"
                ),
                {"now": NOW},
            )
            await connection.execute(
                sa.text(
                    "INSERT INTO invites (token_hash, max_uses, uses, approval, team_role,"
                    " expires_at, created_at) VALUES ('h', 1, 0, 'auto', 'member', :now, :now)"
                ),
                {"now": NOW},
            )
            await connection.execute(
                sa.text(
                    "INSERT INTO registrations (telegram_user_id, invite_id, step, data, created_at,"
                    " updated_at)"
                    " SELECT 5, id, 'institution', '{}', :now, :now FROM invites"
                ),
                {"now": NOW},
            )
            await connection.commit()
        assert await db.upgrade() == HEAD
        pending = PendingInputs(db, FakeClock(NOW))
        assert await pending.current(1) == Pending(
            Feature.MEETING, None, "agenda", {"title": "MLA"}
        )
        assert await pending.current(2) == Pending(Feature.RSVP_COMMENT, "17")
        assert (await pending.current(2)).subject_id == 17  # type: ignore[union-attr]
        assert await pending.current(3) == Pending(Feature.TIMEZONE)
        assert await pending.current(4) == Pending(Feature.PROFILE, "email")
        assert await pending.current(5) == Pending(Feature.REGISTRATION)
        async with db.transaction() as tx:
            columns = await tx.connection.run_sync(
                lambda sync: [c["name"] for c in sa.inspect(sync).get_columns("accounts")]
            )
            tables = await tx.connection.run_sync(lambda sync: sa.inspect(sync).get_table_names())
        assert "awaiting" not in columns and "dialogs" not in tables
    finally:
        await db.close()
