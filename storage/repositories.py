"""Small repositories over one transaction's connection.

`Database.transaction()` yields a `Tx`; each attribute is a repository sharing
that transaction, so a domain operation that touches several tables commits or
rolls back as one. No business rule lives here: only reads and writes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.models import (
    Account,
    Approval,
    Invite,
    Member,
    MemberStatus,
    Recipient,
    Role,
    Team,
    TeamRole,
)
from storage.schema import (
    accounts,
    approval_messages,
    bot_meta,
    invite_teams,
    invites,
    members,
    processed_updates,
    registrations,
    roles,
    team_members,
    teams,
)


class Tx:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection
        self.accounts = AccountRepo(connection)
        self.members = MemberRepo(connection)
        self.roles = RoleRepo(connection)
        self.teams = TeamRepo(connection)
        self.invites = InviteRepo(connection)
        self.registrations = RegistrationRepo(connection)
        self.approvals = ApprovalMessageRepo(connection)
        self.updates = ProcessedUpdateRepo(connection)
        self.meta = MetaRepo(connection)


class _Repo:
    def __init__(self, connection: AsyncConnection) -> None:
        self.c = connection


def _is_postgres(connection: AsyncConnection) -> bool:
    return connection.dialect.name == "postgresql"


def _insert_ignore(connection: AsyncConnection, table: sa.Table) -> Any:
    """INSERT that silently skips a row whose key exists, on both backends."""
    if _is_postgres(connection):
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table).on_conflict_do_nothing()


class AccountRepo(_Repo):
    async def get(self, telegram_user_id: int) -> Account | None:
        row = (
            await self.c.execute(
                sa.select(accounts).where(accounts.c.telegram_user_id == telegram_user_id)
            )
        ).first()
        if row is None:
            return None
        return Account(row.telegram_user_id, row.chat_id, row.locale, row.timezone, row.awaiting)

    async def ensure(self, telegram_user_id: int, chat_id: int | None, now: datetime) -> None:
        await self.c.execute(
            _insert_ignore(self.c, accounts).values(
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


_MEMBER_COLUMNS = (
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


def _member(row: Any, team_slugs: Sequence[str] = ()) -> Member:
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


class MemberRepo(_Repo):
    def _select(self) -> sa.Select[Any]:
        return sa.select(*_MEMBER_COLUMNS).join_from(
            members, accounts, members.c.telegram_user_id == accounts.c.telegram_user_id
        )

    async def get(self, member_id: int) -> Member | None:
        row = (await self.c.execute(self._select().where(members.c.id == member_id))).first()
        return _member(row) if row else None

    async def by_telegram_id(self, telegram_user_id: int) -> Member | None:
        row = (
            await self.c.execute(
                self._select().where(members.c.telegram_user_id == telegram_user_id)
            )
        ).first()
        return _member(row) if row else None

    async def create(self, *, now: datetime, **values: Any) -> int:
        result = await self.c.execute(
            sa.insert(members)
            .values(created_at=now, updated_at=now, **values)
            .returning(members.c.id)
        )
        return int(result.scalar_one())

    async def update(self, member_id: int, now: datetime, **values: Any) -> None:
        await self.c.execute(
            sa.update(members).where(members.c.id == member_id).values(updated_at=now, **values)
        )

    async def set_status_if(
        self,
        member_id: int,
        expected: MemberStatus,
        status: MemberStatus,
        now: datetime,
        decided_by: int | None = None,
    ) -> bool:
        """Change the status only if it is still `expected`: two approvers cannot both win."""
        result = await self.c.execute(
            sa.update(members)
            .where(members.c.id == member_id, members.c.status == expected.value)
            .values(status=status.value, decided_by=decided_by, decided_at=now, updated_at=now)
        )
        return result.rowcount == 1

    async def delete(self, member_id: int) -> None:
        await self.c.execute(sa.delete(members).where(members.c.id == member_id))

    async def search(
        self,
        *,
        team_slug: str | None = None,
        country: str | None = None,
        status: MemberStatus | None = None,
    ) -> list[Member]:
        query = self._select().order_by(members.c.country, members.c.full_name, members.c.id)
        if team_slug is not None:
            query = query.where(
                members.c.id.in_(
                    sa.select(team_members.c.member_id)
                    .join(teams, teams.c.id == team_members.c.team_id)
                    .where(teams.c.slug == team_slug)
                )
            )
        if country is not None:
            query = query.where(members.c.country == country)
        if status is not None:
            query = query.where(members.c.status == status.value)
        rows = (await self.c.execute(query)).all()
        slugs = await self._team_slugs([row.id for row in rows])
        return [_member(row, slugs.get(row.id, ())) for row in rows]

    async def _team_slugs(self, member_ids: list[int]) -> dict[int, list[str]]:
        found: dict[int, list[str]] = {}
        # Chunked: SQLite and asyncpg both cap the number of bound parameters.
        for start in range(0, len(member_ids), 500):
            chunk = member_ids[start : start + 500]
            rows = await self.c.execute(
                sa.select(team_members.c.member_id, teams.c.slug)
                .join(teams, teams.c.id == team_members.c.team_id)
                .where(team_members.c.member_id.in_(chunk))
                .order_by(teams.c.slug)
            )
            for member_id, slug in rows:
                found.setdefault(member_id, []).append(slug)
        return found


class RoleRepo(_Repo):
    async def grant(
        self, telegram_user_id: int, role: Role, now: datetime, country: str = ""
    ) -> bool:
        result = await self.c.execute(
            _insert_ignore(self.c, roles).values(
                telegram_user_id=telegram_user_id, role=role.value, country=country, created_at=now
            )
        )
        return result.rowcount == 1

    async def revoke(self, telegram_user_id: int, role: Role, country: str = "") -> bool:
        result = await self.c.execute(
            sa.delete(roles).where(
                roles.c.telegram_user_id == telegram_user_id,
                roles.c.role == role.value,
                roles.c.country == country,
            )
        )
        return result.rowcount == 1

    async def of(self, telegram_user_id: int) -> list[tuple[Role, str]]:
        rows = await self.c.execute(
            sa.select(roles.c.role, roles.c.country).where(
                roles.c.telegram_user_id == telegram_user_id
            )
        )
        return [(Role(role), country) for role, country in rows]

    async def holders(self, role: Role, country: str = "") -> list[int]:
        rows = await self.c.execute(
            sa.select(roles.c.telegram_user_id)
            .where(roles.c.role == role.value, roles.c.country == country)
            .order_by(roles.c.telegram_user_id)
        )
        return list(rows.scalars())

    async def recipients(self, user_ids: Iterable[int]) -> list[Recipient]:
        """Those of `user_ids` the bot can write to (they have a private chat with it)."""
        ids = list(dict.fromkeys(user_ids))
        if not ids:
            return []
        rows = await self.c.execute(
            sa.select(
                accounts.c.telegram_user_id,
                accounts.c.chat_id,
                accounts.c.locale,
                accounts.c.timezone,
            )
            .where(accounts.c.telegram_user_id.in_(ids), accounts.c.chat_id.is_not(None))
            .order_by(accounts.c.telegram_user_id)
        )
        return [Recipient(*row) for row in rows]


class TeamRepo(_Repo):
    async def create(self, slug: str, name: str, now: datetime) -> Team:
        result = await self.c.execute(
            sa.insert(teams).values(slug=slug, name=name, created_at=now).returning(teams.c.id)
        )
        return Team(int(result.scalar_one()), slug, name)

    async def by_slug(self, slug: str) -> Team | None:
        row = (await self.c.execute(sa.select(teams).where(teams.c.slug == slug))).first()
        return Team(row.id, row.slug, row.name) if row else None

    async def all(self) -> list[Team]:
        rows = await self.c.execute(sa.select(teams).order_by(teams.c.slug))
        return [Team(row.id, row.slug, row.name) for row in rows]

    async def add_member(self, team_id: int, member_id: int, role: TeamRole, now: datetime) -> None:
        await self.c.execute(
            _insert_ignore(self.c, team_members).values(
                team_id=team_id, member_id=member_id, role=role.value, created_at=now
            )
        )

    async def of_member(self, member_id: int) -> list[tuple[Team, TeamRole]]:
        rows = await self.c.execute(
            sa.select(teams.c.id, teams.c.slug, teams.c.name, team_members.c.role)
            .join(team_members, team_members.c.team_id == teams.c.id)
            .where(team_members.c.member_id == member_id)
            .order_by(teams.c.slug)
        )
        return [(Team(row.id, row.slug, row.name), TeamRole(row.role)) for row in rows]


class InviteRepo(_Repo):
    async def create(
        self,
        *,
        token_hash: str,
        team_ids: Sequence[int],
        now: datetime,
        **values: Any,
    ) -> int:
        result = await self.c.execute(
            sa.insert(invites)
            .values(token_hash=token_hash, uses=0, created_at=now, **values)
            .returning(invites.c.id)
        )
        invite_id = int(result.scalar_one())
        await self.c.execute(
            sa.insert(invite_teams), [{"invite_id": invite_id, "team_id": t} for t in team_ids]
        )
        return invite_id

    async def _load(self, condition: sa.ColumnElement[bool]) -> Invite | None:
        row = (await self.c.execute(sa.select(invites).where(condition))).first()
        if row is None:
            return None
        team_rows = await self.c.execute(
            sa.select(teams.c.id, teams.c.slug, teams.c.name)
            .join(invite_teams, invite_teams.c.team_id == teams.c.id)
            .where(invite_teams.c.invite_id == row.id)
            .order_by(teams.c.slug)
        )
        return Invite(
            id=row.id,
            country=row.country,
            max_uses=row.max_uses,
            uses=row.uses,
            approval=Approval(row.approval),
            team_role=TeamRole(row.team_role),
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
            created_by=row.created_by,
            teams=tuple(Team(*team) for team in team_rows),
        )

    async def by_hash(self, token_hash: str) -> Invite | None:
        return await self._load(invites.c.token_hash == token_hash)

    async def get(self, invite_id: int) -> Invite | None:
        return await self._load(invites.c.id == invite_id)

    async def revoke(self, invite_id: int, now: datetime) -> bool:
        result = await self.c.execute(
            sa.update(invites)
            .where(invites.c.id == invite_id, invites.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return result.rowcount == 1

    async def consume(self, invite_id: int, now: datetime) -> bool:
        """Count one use, atomically, only while uses remain and the link is valid."""
        result = await self.c.execute(
            sa.update(invites)
            .where(
                invites.c.id == invite_id,
                invites.c.uses < invites.c.max_uses,
                invites.c.expires_at > now,
                invites.c.revoked_at.is_(None),
            )
            .values(uses=invites.c.uses + 1)
        )
        return result.rowcount == 1


class RegistrationRepo(_Repo):
    async def get(self, telegram_user_id: int) -> tuple[int, str, dict[str, Any]] | None:
        row = (
            await self.c.execute(
                sa.select(registrations).where(registrations.c.telegram_user_id == telegram_user_id)
            )
        ).first()
        if row is None:
            return None
        return row.invite_id, row.step, json.loads(row.data)

    async def save(
        self, telegram_user_id: int, invite_id: int, step: str, data: dict[str, Any], now: datetime
    ) -> None:
        encoded = json.dumps(data, ensure_ascii=False, sort_keys=True)
        updated = await self.c.execute(
            sa.update(registrations)
            .where(registrations.c.telegram_user_id == telegram_user_id)
            .values(invite_id=invite_id, step=step, data=encoded, updated_at=now)
        )
        if updated.rowcount == 0:
            await self.c.execute(
                sa.insert(registrations).values(
                    telegram_user_id=telegram_user_id,
                    invite_id=invite_id,
                    step=step,
                    data=encoded,
                    created_at=now,
                    updated_at=now,
                )
            )

    async def delete(self, telegram_user_id: int) -> None:
        await self.c.execute(
            sa.delete(registrations).where(registrations.c.telegram_user_id == telegram_user_id)
        )


class ApprovalMessageRepo(_Repo):
    async def add(self, member_id: int, chat_id: int, message_id: int) -> None:
        """Remember the newest card per approver (a later /pending replaces the older one)."""
        await self.c.execute(
            sa.delete(approval_messages).where(
                approval_messages.c.member_id == member_id, approval_messages.c.chat_id == chat_id
            )
        )
        await self.c.execute(
            sa.insert(approval_messages).values(
                member_id=member_id, chat_id=chat_id, message_id=message_id
            )
        )

    async def of_member(self, member_id: int) -> list[tuple[int, int]]:
        rows = await self.c.execute(
            sa.select(approval_messages.c.chat_id, approval_messages.c.message_id).where(
                approval_messages.c.member_id == member_id
            )
        )
        return [(chat_id, message_id) for chat_id, message_id in rows]

    async def clear(self, member_id: int) -> None:
        await self.c.execute(
            sa.delete(approval_messages).where(approval_messages.c.member_id == member_id)
        )


class ProcessedUpdateRepo(_Repo):
    async def claim(self, update_id: int, now: datetime) -> bool:
        """Record an update as handled; False if it was already (a duplicate delivery)."""
        result = await self.c.execute(
            _insert_ignore(self.c, processed_updates).values(update_id=update_id, processed_at=now)
        )
        return result.rowcount == 1

    async def prune(self, before: datetime) -> int:
        result = await self.c.execute(
            sa.delete(processed_updates).where(processed_updates.c.processed_at < before)
        )
        return result.rowcount


class MetaRepo(_Repo):
    async def get(self, key: str) -> str | None:
        return (
            await self.c.execute(sa.select(bot_meta.c.value).where(bot_meta.c.key == key))
        ).scalar_one_or_none()

    async def set(self, key: str, value: str) -> None:
        updated = await self.c.execute(
            sa.update(bot_meta).where(bot_meta.c.key == key).values(value=value)
        )
        if updated.rowcount == 0:
            await self.c.execute(sa.insert(bot_meta).values(key=key, value=value))
