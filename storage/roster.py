"""The roster: members, their roles (admin, focal point), teams, and who an audience reaches."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from bot.domain.models import Member, MemberStatus, Recipient, Role, Team, TeamRole
from bot.domain.request_models import Party, PartyKind
from storage.rows import (
    MEMBER_COLUMNS,
    MemberSelection,
    Repo,
    chunks,
    insert_ignore,
    member_from_row,
)
from storage.schema import (
    accounts,
    deliveries,
    invitations,
    members,
    roles,
    team_members,
    teams,
)


class MemberRepo(Repo):
    def _select(self) -> sa.Select[Any]:
        return sa.select(*MEMBER_COLUMNS).join_from(
            members, accounts, members.c.telegram_user_id == accounts.c.telegram_user_id
        )

    async def get(self, member_id: int) -> Member | None:
        row = (await self.c.execute(self._select().where(members.c.id == member_id))).first()
        return member_from_row(row) if row else None

    async def of_meeting(self, meeting_id: int) -> dict[int, Member]:
        """Everyone a meeting's invitations name (invitees, their substitutes, whom they
        stand in for), by row number: one query whatever the audience."""
        of_meeting = invitations.c.meeting_id == meeting_id
        named = sa.union(
            sa.select(invitations.c.member_id.label("id")).where(of_meeting),
            sa.select(invitations.c.substitute_id).where(
                of_meeting, invitations.c.substitute_id.is_not(None)
            ),
            sa.select(invitations.c.stands_in_for).where(
                of_meeting, invitations.c.stands_in_for.is_not(None)
            ),
        ).subquery()
        rows = await self.c.execute(self._select().where(members.c.id.in_(sa.select(named.c.id))))
        return {row.id: member_from_row(row) for row in rows}

    async def of_notice(self, notice_id: int) -> dict[int, Member]:
        """The members among a notice's recipients, by Telegram id: one query."""
        recipients = sa.select(deliveries.c.telegram_user_id).where(
            deliveries.c.notice_id == notice_id
        )
        rows = await self.c.execute(
            self._select().where(members.c.telegram_user_id.in_(recipients))
        )
        return {row.telegram_user_id: member_from_row(row) for row in rows}

    async def by_telegram_id(self, telegram_user_id: int) -> Member | None:
        row = (
            await self.c.execute(
                self._select().where(members.c.telegram_user_id == telegram_user_id)
            )
        ).first()
        return member_from_row(row) if row else None

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
        return [member_from_row(row, slugs.get(row.id, ())) for row in rows]

    async def active_after(self, member_id: int, limit: int) -> list[Member]:
        """The next `limit` active members after row `member_id`, in row order: a walk over
        the roster that holds one page at a time and can resume where it stopped."""
        rows = await self.c.execute(
            self._select()
            .where(members.c.id > member_id, members.c.status == MemberStatus.ACTIVE.value)
            .order_by(members.c.id)
            .limit(limit)
        )
        return [member_from_row(row) for row in rows]

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


class RoleRepo(Repo):
    async def grant(
        self, telegram_user_id: int, role: Role, now: datetime, country: str = ""
    ) -> bool:
        result = await self.c.execute(
            insert_ignore(self.c, roles).values(
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


class TeamRepo(Repo):
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
            insert_ignore(self.c, team_members).values(
                team_id=team_id, member_id=member_id, role=role.value, created_at=now
            )
        )

    async def ids_of_members(self, member_ids: Sequence[int]) -> dict[int, set[int]]:
        """The team ids of each member (for what a focal point or chair may see)."""
        found: dict[int, set[int]] = {m: set() for m in member_ids}
        for chunk in chunks(list(member_ids)):
            rows = await self.c.execute(
                sa.select(team_members.c.member_id, team_members.c.team_id).where(
                    team_members.c.member_id.in_(list(chunk))
                )
            )
            for member_id, team_id in rows:
                found.setdefault(member_id, set()).add(team_id)
        return found

    async def of_member(self, member_id: int) -> list[tuple[Team, TeamRole]]:
        rows = await self.c.execute(
            sa.select(teams.c.id, teams.c.slug, teams.c.name, team_members.c.role)
            .join(team_members, team_members.c.team_id == teams.c.id)
            .where(team_members.c.member_id == member_id)
            .order_by(teams.c.slug)
        )
        return [(Team(row.id, row.slug, row.name), TeamRole(row.role)) for row in rows]

    async def ids(self, slugs: Sequence[str]) -> dict[str, int]:
        if not slugs:
            return {}
        rows = await self.c.execute(
            sa.select(teams.c.slug, teams.c.id).where(teams.c.slug.in_(list(slugs)))
        )
        return {slug: team_id for slug, team_id in rows}

    async def names(self, team_ids: Sequence[int]) -> dict[int, str]:
        if not team_ids:
            return {}
        rows = await self.c.execute(
            sa.select(teams.c.id, teams.c.name).where(teams.c.id.in_(list(team_ids)))
        )
        return {team_id: name for team_id, name in rows}

    async def chairs(self, team_id: int) -> list[Member]:
        rows = await self.c.execute(
            sa.select(*MEMBER_COLUMNS)
            .join_from(members, accounts, members.c.telegram_user_id == accounts.c.telegram_user_id)
            .join(team_members, team_members.c.member_id == members.c.id)
            .where(
                team_members.c.team_id == team_id,
                team_members.c.role == "chair",
                members.c.status == MemberStatus.ACTIVE.value,
            )
        )
        return [member_from_row(row) for row in rows]


class AudienceRepo(Repo):
    """Who an audience reaches: members with their team roles, and focal points."""

    async def count(self, selection: MemberSelection, *, with_chat: bool = False) -> int:
        """How many members `selection` picks (only those with a chat, if `with_chat`)."""
        query = selection.select(sa.func.count()).order_by(None)
        if with_chat:
            query = query.where(accounts.c.chat_id.is_not(None))
        return int((await self.c.execute(query)).scalar_one())

    async def focal_points(self, countries: Sequence[str]) -> list[Recipient]:
        query = sa.select(roles.c.telegram_user_id).where(roles.c.role == Role.FOCAL_POINT.value)
        if countries:
            query = query.where(roles.c.country.in_(list(countries)))
        ids = list((await self.c.execute(query)).scalars())
        return await RoleRepo(self.c).recipients(ids)

    async def answerers(self, parties: Iterable[str]) -> dict[str, list[Member]]:
        """The active members who may answer for each party."""
        found: dict[str, list[Member]] = {}
        member_ids, countries, team_ids = [], [], []
        for party in dict.fromkeys(parties):
            found[party] = []
            owner = Party.parse(party)
            if owner is None:
                continue
            if owner.kind is PartyKind.MEMBER:
                member_ids.append(owner.id)
            elif owner.kind is PartyKind.COUNTRY:
                countries.append(owner.key)
            elif owner.kind is PartyKind.TEAM:
                team_ids.append(owner.id)
        base = sa.select(*MEMBER_COLUMNS).join_from(
            members, accounts, members.c.telegram_user_id == accounts.c.telegram_user_id
        )
        active = members.c.status == MemberStatus.ACTIVE.value
        order = (members.c.full_name, members.c.id)
        if member_ids:
            for row in await self.c.execute(
                base.where(active, members.c.id.in_(member_ids)).order_by(*order)
            ):
                found[str(Party.member(row.id))].append(member_from_row(row))
        if countries:
            for row in await self.c.execute(
                base.where(active, members.c.country.in_(countries)).order_by(*order)
            ):
                found[str(Party.country(row.country))].append(member_from_row(row))
        if team_ids:
            query = (
                base.add_columns(team_members.c.team_id)
                .join(team_members, team_members.c.member_id == members.c.id)
                .where(active, team_members.c.team_id.in_(team_ids))
                .order_by(*order)
            )
            for row in await self.c.execute(query):
                found[str(Party.team(row.team_id))].append(member_from_row(row))
        return found

    async def people(self, user_ids: Iterable[int]) -> dict[int, tuple[int | None, str | None]]:
        """(chat_id, country) of each Telegram user: the country if they are a member."""
        ids = list(dict.fromkeys(user_ids))
        found: dict[int, tuple[int | None, str | None]] = {}
        for chunk in chunks(ids):
            rows = await self.c.execute(
                sa.select(accounts.c.telegram_user_id, accounts.c.chat_id, members.c.country)
                .select_from(
                    accounts.outerjoin(
                        members, members.c.telegram_user_id == accounts.c.telegram_user_id
                    )
                )
                .where(accounts.c.telegram_user_id.in_(list(chunk)))
            )
            for user_id, chat_id, country in rows:
                found[user_id] = (chat_id, country)
        return found
