"""Helpers shared by the repository modules: row mapping and dialect differences."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.models import Member, MemberStatus
from storage.schema import accounts, members


def is_postgres(connection: AsyncConnection) -> bool:
    return connection.dialect.name == "postgresql"


async def upsert(
    connection: AsyncConnection,
    table: sa.Table,
    key: sa.Column[Any],
    key_value: object,
    values: dict[str, Any],
    insert_only: dict[str, Any] | None = None,
) -> None:
    """Update the row with this key, or insert it (with `insert_only` too) if there is none,
    in one statement: two processes doing it at once cannot both insert."""
    statement = _dialect_insert(connection)(table).values(
        {key.name: key_value, **values, **(insert_only or {})}
    )
    await connection.execute(statement.on_conflict_do_update(index_elements=[key], set_=values))


def insert_ignore(connection: AsyncConnection, table: sa.Table) -> Any:
    """INSERT that silently skips a row whose key exists, on both backends."""
    return _dialect_insert(connection)(table).on_conflict_do_nothing()


def _dialect_insert(connection: AsyncConnection) -> Any:
    """The INSERT construct with ON CONFLICT of the connection's backend."""
    if is_postgres(connection):
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def chunks(values: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    # SQLite and asyncpg both cap the number of bound parameters.
    for start in range(0, len(values), size):
        yield values[start : start + size]


MEMBER_COLUMNS = (
    members.c.id,
    members.c.telegram_user_id,
    accounts.c.chat_id,
    members.c.full_name,
    members.c.country,
    members.c.institution,
    members.c.position,
    members.c.email,
    members.c.status,
    accounts.c.locale,
    accounts.c.timezone,
    members.c.consent_version,
    members.c.consent_at,
    members.c.created_at,
)


def member_from_row(row: Any, team_slugs: Sequence[str] = ()) -> Member:
    return Member(
        id=row.id,
        telegram_user_id=row.telegram_user_id,
        chat_id=row.chat_id,
        full_name=row.full_name,
        country=row.country,
        institution=row.institution,
        position=row.position,
        email=row.email,
        status=MemberStatus(row.status),
        locale=row.locale,
        timezone=row.timezone,
        consent_version=row.consent_version,
        consent_at=row.consent_at,
        created_at=row.created_at,
        teams=tuple(team_slugs),
    )


class Repo:
    """A repository: reads and writes of one feature's tables on one transaction's connection."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.c = connection
