"""Helpers shared by the repository modules: row mapping and dialect differences."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.models import Member, MemberStatus
from storage.schema import accounts, invitations, members, team_members, teams


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


@dataclass(frozen=True)
class ScopeFilter:
    """Which members a report covers, as SQL: everyone, or those of some countries or in
    some teams (a focal point's, a chair's; bot/domain/access.py Scope)."""

    everything: bool = True
    countries: tuple[str, ...] = ()
    team_ids: tuple[int, ...] = ()

    def members(self) -> sa.ColumnElement[bool]:
        """A condition on `members` rows."""
        if self.everything:
            return sa.true()
        conditions: list[sa.ColumnElement[bool]] = []
        if self.countries:
            conditions.append(members.c.country.in_(self.countries))
        if self.team_ids:
            conditions.append(
                members.c.id.in_(
                    sa.select(team_members.c.member_id).where(
                        team_members.c.team_id.in_(self.team_ids)
                    )
                )
            )
        return sa.or_(*conditions) if conditions else sa.false()

    def recipient_ids(self) -> sa.Select[Any]:
        """The Telegram ids of the members in scope (for `column.in_(...)`)."""
        return sa.select(members.c.telegram_user_id).where(self.members())


@dataclass(frozen=True)
class MemberSelection:
    """Which members something reaches, as SQL (bot/domain/notices.py `select_members` says
    which, from an audience): queuing a broadcast inserts from this selection in the
    database, so that the audience is never held in memory as a list.

    Members of `statuses` that some part picks (a union): everyone, the named teams (by
    slug, or by row number in `team_ids`), countries or members, or the invitees of
    `invited_to`. `team_roles`, if any, either
    select by themselves (`roles_alone`) or narrow the union down to the members holding
    one of them in a team (in the named teams, if any). `not_invited_to` leaves out those
    already invited to that meeting, `unless` those another selection picks (to split a long
    list of members into selections that do not overlap).
    """

    statuses: tuple[MemberStatus, ...]
    everyone: bool = False
    teams: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    member_ids: tuple[int, ...] = ()
    team_ids: tuple[int, ...] = ()
    invited_to: int | None = None
    team_roles: tuple[str, ...] = ()
    roles_alone: bool = False
    not_invited_to: int | None = None
    unless: MemberSelection | None = None

    def condition(self) -> sa.ColumnElement[bool]:
        """A condition on `members` rows."""
        parts: list[sa.ColumnElement[bool]] = []
        if self.everyone:
            parts.append(sa.true())
        if self.teams:
            parts.append(
                sa.exists()
                .where(team_members.c.member_id == members.c.id)
                .where(team_members.c.team_id == teams.c.id, teams.c.slug.in_(self.teams))
            )
        if self.countries:
            parts.append(members.c.country.in_(self.countries))
        if self.member_ids:
            parts.append(members.c.id.in_(self.member_ids))
        if self.team_ids:
            parts.append(
                sa.exists().where(
                    team_members.c.member_id == members.c.id,
                    team_members.c.team_id.in_(self.team_ids),
                )
            )
        if self.invited_to is not None:
            parts.append(_invited(self.invited_to))
        chosen: sa.ColumnElement[bool] = sa.or_(*parts) if parts else sa.false()
        if self.team_roles:
            holds = (
                sa.exists()
                .where(team_members.c.member_id == members.c.id)
                .where(team_members.c.role.in_(self.team_roles))
            )
            if self.teams:
                holds = holds.where(
                    team_members.c.team_id == teams.c.id, teams.c.slug.in_(self.teams)
                )
            chosen = holds if self.roles_alone else sa.and_(chosen, holds)
        conditions = [members.c.status.in_([s.value for s in self.statuses]), chosen]
        if self.not_invited_to is not None:
            conditions.append(sa.not_(_invited(self.not_invited_to)))
        if self.unless is not None:
            conditions.append(sa.not_(self.unless.condition()))
        return sa.and_(*conditions)

    def select(self, *columns: Any) -> sa.Select[Any]:
        """`columns` of the selected members and their accounts, in the order of member ids."""
        return (
            sa.select(*columns)
            .select_from(
                members.join(accounts, members.c.telegram_user_id == accounts.c.telegram_user_id)
            )
            .where(self.condition())
            .order_by(members.c.id)
        )


def _invited(meeting_id: int) -> sa.ColumnElement[bool]:
    return sa.exists().where(
        invitations.c.member_id == members.c.id, invitations.c.meeting_id == meeting_id
    )
