"""Telegram accounts (language, zone, chat), processed updates and bot metadata."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from bot.domain.models import Account
from storage.rows import Repo, insert_ignore, upsert
from storage.schema import accounts, bot_meta, processed_updates

# Statements run on every update are built once: building a statement costs SQLAlchemy more
# than the database takes to run it.
_ACCOUNT_QUERY = sa.select(accounts).where(
    accounts.c.telegram_user_id == sa.bindparam("telegram_user_id")
)


@functools.cache
def _claim_update_query(dialect: str) -> Any:
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(processed_updates).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(processed_updates).on_conflict_do_nothing()


class AccountRepo(Repo):
    async def get(self, telegram_user_id: int) -> Account | None:
        row = (await self.c.execute(_ACCOUNT_QUERY, {"telegram_user_id": telegram_user_id})).first()
        if row is None:
            return None
        return Account(row.telegram_user_id, row.chat_id, row.locale, row.timezone)

    async def ensure(self, telegram_user_id: int, chat_id: int | None, now: datetime) -> None:
        await self.c.execute(
            insert_ignore(self.c, accounts).values(
                telegram_user_id=telegram_user_id, chat_id=chat_id, created_at=now, updated_at=now
            )
        )
        if chat_id is not None:
            await self.c.execute(
                sa.update(accounts)
                .where(accounts.c.telegram_user_id == telegram_user_id)
                .where(accounts.c.chat_id.is_distinct_from(chat_id))
                .values(chat_id=chat_id, updated_at=now)
            )

    async def set_preferences(
        self, telegram_user_id: int, now: datetime, **values: str | None
    ) -> None:
        await self.c.execute(
            sa.update(accounts)
            .where(accounts.c.telegram_user_id == telegram_user_id)
            .values(updated_at=now, **values)
        )


class ProcessedUpdateRepo(Repo):
    async def claim(self, update_id: int, now: datetime) -> bool:
        """Record an update as handled; False if it was already (a duplicate delivery)."""
        result = await self.c.execute(
            _claim_update_query(self.c.dialect.name),
            {"update_id": update_id, "processed_at": now},
        )
        return result.rowcount == 1

    async def prune(self, before: datetime) -> int:
        result = await self.c.execute(
            sa.delete(processed_updates).where(processed_updates.c.processed_at < before)
        )
        return result.rowcount


class MetaRepo(Repo):
    async def get(self, key: str) -> str | None:
        return (
            await self.c.execute(sa.select(bot_meta.c.value).where(bot_meta.c.key == key))
        ).scalar_one_or_none()

    async def set(self, key: str, value: str) -> None:
        await upsert(self.c, bot_meta, bot_meta.c.key, key, {"value": value})
