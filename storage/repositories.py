"""Small repositories over one transaction's connection.

`Database.transaction()` yields a `Tx`; each attribute is a repository sharing
that transaction, so a domain operation that touches several tables commits or
rolls back as one. No business rule lives here: only reads and writes.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.models import (
    Account,
    Answer,
    Approval,
    Audience,
    Delivery,
    DeliveryCounts,
    DeliveryState,
    Invitation,
    Invite,
    Meeting,
    MeetingMode,
    MeetingStatus,
    MeetingText,
    Member,
    MemberStatus,
    Notice,
    NoticeKind,
    NoticeStatus,
    Recipient,
    Role,
    Team,
    TeamRole,
)
from storage.audit import AuditRepo
from storage.budget import ProcessRepo
from storage.followup import PlanRepo, ReminderRepo, RequestRepo, ResponseRepo
from storage.invites import TokenAttemptRepo
from storage.privacy import PrivacyRepo
from storage.rows import (
    MEMBER_COLUMNS,
    chunks,
    insert_ignore,
    is_postgres,
    member_from_row,
    upsert,
)
from storage.schema import (
    accounts,
    approval_messages,
    bot_meta,
    deliveries,
    dialogs,
    invitations,
    invite_teams,
    invites,
    meetings,
    members,
    notices,
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
        self.meetings = MeetingRepo(connection)
        self.invitations = InvitationRepo(connection)
        self.notices = NoticeRepo(connection)
        self.deliveries = DeliveryRepo(connection)
        self.dialogs = DialogRepo(connection)
        self.audience = AudienceRepo(connection)
        self.requests = RequestRepo(connection)
        self.responses = ResponseRepo(connection)
        self.plans = PlanRepo(connection)
        self.reminders = ReminderRepo(connection)
        self.audit = AuditRepo(connection)
        self.privacy = PrivacyRepo(connection)
        self.processes = ProcessRepo(connection)
        self.token_attempts = TokenAttemptRepo(connection)


class _Repo:
    def __init__(self, connection: AsyncConnection) -> None:
        self.c = connection


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


class AccountRepo(_Repo):
    async def get(self, telegram_user_id: int) -> Account | None:
        row = (await self.c.execute(_ACCOUNT_QUERY, {"telegram_user_id": telegram_user_id})).first()
        if row is None:
            return None
        return Account(row.telegram_user_id, row.chat_id, row.locale, row.timezone, row.awaiting)

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


class MemberRepo(_Repo):
    def _select(self) -> sa.Select[Any]:
        return sa.select(*MEMBER_COLUMNS).join_from(
            members, accounts, members.c.telegram_user_id == accounts.c.telegram_user_id
        )

    async def get(self, member_id: int) -> Member | None:
        row = (await self.c.execute(self._select().where(members.c.id == member_id))).first()
        return member_from_row(row) if row else None

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
        await upsert(
            self.c,
            registrations,
            registrations.c.telegram_user_id,
            telegram_user_id,
            {"invite_id": invite_id, "step": step, "data": encoded, "updated_at": now},
            {"created_at": now},
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
            _claim_update_query(self.c.dialect.name),
            {"update_id": update_id, "processed_at": now},
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
        await upsert(self.c, bot_meta, bot_meta.c.key, key, {"value": value})


# -- meetings, invitations, notices, deliveries (issue 3) --------------------------------


def _meeting(row: Any) -> Meeting:
    translations = {
        locale: MeetingText(t.get("title", ""), t.get("description", ""), t.get("agenda", ""))
        for locale, t in json.loads(row.translations).items()
    }
    return Meeting(
        id=row.id,
        title=row.title,
        description=row.description,
        agenda=row.agenda,
        ref_locale=row.ref_locale,
        translations=translations,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        timezone=row.timezone,
        mode=MeetingMode(row.mode),
        venue=row.venue,
        city=row.city,
        host_country=row.host_country,
        online_url=row.online_url,
        audience=Audience.from_json(json.loads(row.audience)),
        rsvp_deadline=row.rsvp_deadline,
        tentative=bool(row.tentative),
        ask_comment=bool(row.ask_comment),
        status=MeetingStatus(row.status),
        date_version=row.date_version,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        reminder_offsets=(
            None
            if row.reminder_offsets is None
            else tuple(int(v) for v in json.loads(row.reminder_offsets))
        ),
    )


def meeting_values(meeting: Meeting) -> dict[str, Any]:
    """The columns of a meeting record, for insert and update."""
    return {
        "title": meeting.title,
        "description": meeting.description,
        "agenda": meeting.agenda,
        "ref_locale": meeting.ref_locale,
        "translations": json.dumps(
            {
                locale: {"title": t.title, "description": t.description, "agenda": t.agenda}
                for locale, t in meeting.translations.items()
            },
            ensure_ascii=False,
            sort_keys=True,
        ),
        "starts_at": meeting.starts_at,
        "ends_at": meeting.ends_at,
        "timezone": meeting.timezone,
        "mode": meeting.mode.value,
        "venue": meeting.venue,
        "city": meeting.city,
        "host_country": meeting.host_country,
        "online_url": meeting.online_url,
        "audience": json.dumps(meeting.audience.as_json(), sort_keys=True),
        "rsvp_deadline": meeting.rsvp_deadline,
        "tentative": meeting.tentative,
        "ask_comment": meeting.ask_comment,
        "status": meeting.status.value,
        "date_version": meeting.date_version,
        "reminder_offsets": (
            None if meeting.reminder_offsets is None else json.dumps(list(meeting.reminder_offsets))
        ),
    }


class MeetingRepo(_Repo):
    async def create(self, meeting: Meeting, now: datetime) -> int:
        result = await self.c.execute(
            sa.insert(meetings)
            .values(
                created_by=meeting.created_by,
                created_at=now,
                updated_at=now,
                **meeting_values(meeting),
            )
            .returning(meetings.c.id)
        )
        return int(result.scalar_one())

    async def get(self, meeting_id: int, *, lock: bool = False) -> Meeting | None:
        query = sa.select(meetings).where(meetings.c.id == meeting_id)
        if lock and is_postgres(self.c):
            query = query.with_for_update()
        row = (await self.c.execute(query)).first()
        return _meeting(row) if row else None

    async def save(self, meeting: Meeting, now: datetime) -> None:
        await self.c.execute(
            sa.update(meetings)
            .where(meetings.c.id == meeting.id)
            .values(updated_at=now, **meeting_values(meeting))
        )

    async def listing(self, *, ending_after: datetime | None = None) -> list[Meeting]:
        query = sa.select(meetings).order_by(meetings.c.starts_at, meetings.c.id)
        if ending_after is not None:
            query = query.where(meetings.c.ends_at > ending_after)
        return [_meeting(row) for row in await self.c.execute(query)]

    async def of_member(self, member_id: int, ending_after: datetime) -> list[Meeting]:
        rows = await self.c.execute(
            sa.select(meetings)
            .join(invitations, invitations.c.meeting_id == meetings.c.id)
            .where(
                invitations.c.member_id == member_id,
                meetings.c.ends_at > ending_after,
                meetings.c.status == MeetingStatus.ANNOUNCED.value,
            )
            .order_by(meetings.c.starts_at, meetings.c.id)
        )
        return [_meeting(row) for row in rows]


def _invitation(row: Any) -> Invitation:
    return Invitation(
        id=row.id,
        meeting_id=row.meeting_id,
        member_id=row.member_id,
        answer=Answer(row.answer) if row.answer else None,
        comment=row.comment,
        answered_at=row.answered_at,
        needs_confirmation=bool(row.needs_confirmation),
        stands_in_for=row.stands_in_for,
        substitute_id=row.substitute_id,
        substitute_requested_at=row.substitute_requested_at,
        invited_at=row.invited_at,
    )


@functools.cache
def _invitation_context_query() -> sa.Select[Any]:
    # Built once: constructing a select of some seventy labelled columns costs more than
    # running it, and every RSVP press runs it.
    columns = [
        *(c.label(f"i_{c.name}") for c in invitations.c),
        *(c.label(f"m_{c.name}") for c in meetings.c),
        *(c.label(f"p_{c.name}") for c in MEMBER_COLUMNS),
    ]
    return (
        sa.select(*columns)
        .select_from(invitations)
        .join(meetings, meetings.c.id == invitations.c.meeting_id)
        .join(members, members.c.id == invitations.c.member_id)
        .join(accounts, accounts.c.telegram_user_id == members.c.telegram_user_id)
        .where(invitations.c.id == sa.bindparam("invitation_id"))
    )


class InvitationRepo(_Repo):
    async def add_many(
        self, meeting_id: int, member_ids: Sequence[int], now: datetime, stands_in_for: int | None
    ) -> None:
        for chunk in chunks(list(member_ids)):
            await self.c.execute(
                insert_ignore(self.c, invitations),
                [
                    {
                        "meeting_id": meeting_id,
                        "member_id": member_id,
                        "needs_confirmation": False,
                        "stands_in_for": stands_in_for,
                        "invited_at": now,
                    }
                    for member_id in chunk
                ],
            )

    async def get(self, invitation_id: int) -> Invitation | None:
        row = (
            await self.c.execute(sa.select(invitations).where(invitations.c.id == invitation_id))
        ).first()
        return _invitation(row) if row else None

    async def with_context(self, invitation_id: int) -> tuple[Invitation, Meeting, Member] | None:
        """An invitation with its meeting and member, in one query (every RSVP press)."""
        row = (
            await self.c.execute(_invitation_context_query(), {"invitation_id": invitation_id})
        ).first()
        if row is None:
            return None
        values = row._mapping

        def part(prefix: str) -> Any:
            return SimpleNamespace(
                **{k[len(prefix) :]: v for k, v in values.items() if k.startswith(prefix)}
            )

        return _invitation(part("i_")), _meeting(part("m_")), member_from_row(part("p_"))

    async def of(self, meeting_id: int, member_id: int) -> Invitation | None:
        row = (
            await self.c.execute(
                sa.select(invitations).where(
                    invitations.c.meeting_id == meeting_id, invitations.c.member_id == member_id
                )
            )
        ).first()
        return _invitation(row) if row else None

    async def of_meeting(self, meeting_id: int) -> list[Invitation]:
        rows = await self.c.execute(
            sa.select(invitations)
            .where(invitations.c.meeting_id == meeting_id)
            .order_by(invitations.c.id)
        )
        return [_invitation(row) for row in rows]

    async def update(self, invitation_id: int, **values: Any) -> None:
        await self.c.execute(
            sa.update(invitations).where(invitations.c.id == invitation_id).values(**values)
        )

    async def ask_reconfirmation(self, meeting_id: int) -> int:
        """The date moved: every answer given so far must be confirmed again."""
        result = await self.c.execute(
            sa.update(invitations)
            .where(invitations.c.meeting_id == meeting_id, invitations.c.answer.is_not(None))
            .values(needs_confirmation=True)
        )
        return result.rowcount


def _notice(row: Any) -> Notice:
    return Notice(
        id=row.id,
        kind=NoticeKind(row.kind),
        meeting_id=row.meeting_id,
        body=row.body,
        ref_locale=row.ref_locale,
        translations=json.loads(row.translations),
        changes=json.loads(row.changes),
        audience=Audience.from_json(json.loads(row.audience)),
        document_file_id=row.document_file_id,
        document_name=row.document_name,
        document_path=row.document_path,
        ack_required=bool(row.ack_required),
        restricted=bool(row.restricted),
        status=NoticeStatus(row.status),
        total=row.total,
        created_by=row.created_by,
        progress_chat_id=row.progress_chat_id,
        progress_message_id=row.progress_message_id,
        created_at=row.created_at,
        finished_at=row.finished_at,
        request_id=row.request_id,
        topic=row.topic,
    )


class NoticeRepo(_Repo):
    async def create(
        self,
        *,
        kind: NoticeKind,
        now: datetime,
        meeting_id: int | None = None,
        body: str = "",
        ref_locale: str = "en",
        translations: dict[str, str] | None = None,
        changes: dict[str, Any] | None = None,
        audience: Audience | None = None,
        document_file_id: str | None = None,
        document_name: str | None = None,
        document_path: str | None = None,
        ack_required: bool = False,
        restricted: bool = False,
        created_by: int | None = None,
        progress_chat_id: int | None = None,
        request_id: int | None = None,
        topic: str | None = None,
    ) -> int:
        result = await self.c.execute(
            sa.insert(notices)
            .values(
                kind=kind.value,
                meeting_id=meeting_id,
                body=body,
                ref_locale=ref_locale,
                translations=json.dumps(translations or {}, ensure_ascii=False, sort_keys=True),
                changes=json.dumps(changes or {}, ensure_ascii=False, sort_keys=True),
                audience=json.dumps((audience or Audience()).as_json(), sort_keys=True),
                document_file_id=document_file_id,
                document_name=document_name,
                document_path=document_path,
                ack_required=ack_required,
                restricted=restricted,
                status=NoticeStatus.SENDING.value,
                total=0,
                created_by=created_by,
                progress_chat_id=progress_chat_id,
                request_id=request_id,
                topic=topic,
                created_at=now,
            )
            .returning(notices.c.id)
        )
        return int(result.scalar_one())

    async def get(self, notice_id: int) -> Notice | None:
        row = (await self.c.execute(sa.select(notices).where(notices.c.id == notice_id))).first()
        return _notice(row) if row else None

    async def for_topic(
        self,
        topic: str,
        *,
        kind: NoticeKind,
        now: datetime,
        meeting_id: int | None = None,
        request_id: int | None = None,
        changes: dict[str, Any] | None = None,
    ) -> int:
        """The notice of this topic, created if there is none yet. Two processes creating
        it at once get the same row (the unique topic, and INSERT … ON CONFLICT)."""
        await self.c.execute(
            insert_ignore(self.c, notices).values(
                kind=kind.value,
                meeting_id=meeting_id,
                request_id=request_id,
                topic=topic,
                body="",
                ref_locale="en",
                translations="{}",
                changes=json.dumps(changes or {}, sort_keys=True),
                audience=json.dumps(Audience().as_json(), sort_keys=True),
                ack_required=False,
                restricted=False,
                status=NoticeStatus.SENDING.value,
                total=0,
                created_at=now,
            )
        )
        found = await self.by_topic(topic)
        assert found is not None
        return found

    async def by_topic(self, topic: str) -> int | None:
        return (
            await self.c.execute(sa.select(notices.c.id).where(notices.c.topic == topic))
        ).scalar_one_or_none()

    async def update(self, notice_id: int, **values: Any) -> None:
        await self.c.execute(sa.update(notices).where(notices.c.id == notice_id).values(**values))

    async def of_meeting(self, meeting_id: int) -> list[Notice]:
        rows = await self.c.execute(
            sa.select(notices).where(notices.c.meeting_id == meeting_id).order_by(notices.c.id)
        )
        return [_notice(row) for row in rows]

    async def sending(self) -> list[Notice]:
        rows = await self.c.execute(
            sa.select(notices)
            .where(notices.c.status == NoticeStatus.SENDING.value)
            .order_by(notices.c.id)
        )
        return [_notice(row) for row in rows]

    async def finish(self, notice_id: int, now: datetime) -> bool:
        """Mark a notice done, once: of two workers that notice the end, one wins."""
        result = await self.c.execute(
            sa.update(notices)
            .where(notices.c.id == notice_id, notices.c.status == NoticeStatus.SENDING.value)
            .values(status=NoticeStatus.DONE.value, finished_at=now)
        )
        return result.rowcount == 1

    async def reopen(self, notice_id: int) -> None:
        await self.c.execute(
            sa.update(notices)
            .where(notices.c.id == notice_id)
            .values(status=NoticeStatus.SENDING.value, finished_at=None)
        )


def _delivery(row: Any) -> Delivery:
    return Delivery(
        id=row.id,
        notice_id=row.notice_id,
        telegram_user_id=row.telegram_user_id,
        chat_id=row.chat_id,
        state=DeliveryState(row.state),
        parts_sent=row.parts_sent,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        claimed_at=row.claimed_at,
        message_id=row.message_id,
        sent_at=row.sent_at,
        last_error=row.last_error,
        acknowledged_at=row.acknowledged_at,
        created_at=row.created_at,
        requeued_at=row.requeued_at,
    )


# Rows that did not reach their recipient: what `/resend` queues again.
_NOT_DELIVERED = (DeliveryState.FAILED.value, DeliveryState.UNREACHABLE.value)


class DeliveryRepo(_Repo):
    async def add_many(
        self, notice_id: int, recipients: Sequence[tuple[int, int]], now: datetime
    ) -> int:
        """Queue the notice for (telegram_user_id, chat_id) pairs; returns how many were new."""
        added = 0
        for chunk in chunks(list(recipients)):
            result = await self.c.execute(
                insert_ignore(self.c, deliveries),
                [
                    {
                        "notice_id": notice_id,
                        "telegram_user_id": user_id,
                        "chat_id": chat_id,
                        "state": DeliveryState.PENDING.value,
                        "parts_sent": 0,
                        "attempts": 0,
                        "next_attempt_at": now,
                        "created_at": now,
                    }
                    for user_id, chat_id in chunk
                ],
            )
            added += max(result.rowcount, 0)
        total = (
            await self.c.execute(
                sa.select(sa.func.count())
                .select_from(deliveries)
                .where(deliveries.c.notice_id == notice_id)
            )
        ).scalar_one()
        await self.c.execute(
            sa.update(notices).where(notices.c.id == notice_id).values(total=total)
        )
        return added

    async def get(self, delivery_id: int) -> Delivery | None:
        row = (
            await self.c.execute(sa.select(deliveries).where(deliveries.c.id == delivery_id))
        ).first()
        return _delivery(row) if row else None

    async def claim_next(self, now: datetime) -> Delivery | None:
        """Take the next due row for sending, atomically: no two workers get the same one.

        A notice's next part (its calendar file, its document) goes before the next
        recipient's first, so that each member gets the whole notice within a second or
        two, not the texts to everyone first and the files minutes later. Two small
        queries, each an index range (ix_deliveries_due), rather than one sort of the queue.
        """
        for continuation in (True, False):
            due = (
                sa.select(deliveries.c.id)
                .where(
                    deliveries.c.state == DeliveryState.PENDING.value,
                    deliveries.c.parts_sent >= 1 if continuation else deliveries.c.parts_sent == 0,
                    deliveries.c.next_attempt_at <= now,
                )
                .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
                .limit(1)
            )
            if is_postgres(self.c):
                due = due.with_for_update(skip_locked=True)
            row = (
                await self.c.execute(
                    sa.update(deliveries)
                    .where(
                        deliveries.c.id == due.scalar_subquery(),
                        deliveries.c.state == DeliveryState.PENDING.value,
                    )
                    .values(state=DeliveryState.SENDING.value, claimed_at=now)
                    .returning(*deliveries.c)
                )
            ).first()
            if row is not None:
                return _delivery(row)
        return None

    async def next_due_at(self) -> datetime | None:
        return (
            await self.c.execute(
                sa.select(sa.func.min(deliveries.c.next_attempt_at)).where(
                    deliveries.c.state == DeliveryState.PENDING.value
                )
            )
        ).scalar_one_or_none()

    async def finish(self, delivery_id: int, **values: Any) -> None:
        """Record the outcome of a claimed row."""
        await self.c.execute(
            sa.update(deliveries)
            .where(
                deliveries.c.id == delivery_id,
                deliveries.c.state == DeliveryState.SENDING.value,
            )
            .values(claimed_at=None, **values)
        )

    async def mark_unreachable(self, delivery_id: int) -> None:
        await self.c.execute(
            sa.update(deliveries)
            .where(deliveries.c.id == delivery_id)
            .values(state=DeliveryState.UNREACHABLE.value, sent_at=None, last_error="blocked")
        )

    async def release_claims(self, claimed_before: datetime) -> int:
        """Rows claimed by a worker that died: due again (a send in flight may repeat)."""
        result = await self.c.execute(
            sa.update(deliveries)
            .where(
                deliveries.c.state == DeliveryState.SENDING.value,
                deliveries.c.claimed_at < claimed_before,
            )
            .values(state=DeliveryState.PENDING.value, claimed_at=None)
        )
        return result.rowcount

    async def acknowledge(self, delivery_id: int, now: datetime) -> bool:
        result = await self.c.execute(
            sa.update(deliveries)
            .where(deliveries.c.id == delivery_id, deliveries.c.acknowledged_at.is_(None))
            .values(acknowledged_at=now)
        )
        return result.rowcount == 1

    async def counts(self, notice_ids: Sequence[int]) -> DeliveryCounts:
        if not notice_ids:
            return DeliveryCounts()
        rows = await self.c.execute(
            sa.select(
                deliveries.c.state,
                sa.func.count(),
                sa.func.count(deliveries.c.acknowledged_at),
            )
            .where(deliveries.c.notice_id.in_(list(notice_ids)))
            .group_by(deliveries.c.state)
        )
        by_state: dict[str, int] = {}
        acknowledged = 0
        for state, count, acks in rows:
            by_state[state] = count
            acknowledged += acks
        return DeliveryCounts(
            pending=by_state.get("pending", 0) + by_state.get("sending", 0),
            sent=by_state.get("sent", 0),
            failed=by_state.get("failed", 0),
            unreachable=by_state.get("unreachable", 0),
            acknowledged=acknowledged,
        )

    async def requeue_undelivered(self, notice_id: int, now: datetime) -> int:
        """Queue again the rows of a notice that did not reach their recipient (failed or
        unreachable), never those that did; the give-up age starts again from now. A row
        whose first message went out keeps `parts_sent`, so only what is missing follows."""
        result = await self.c.execute(
            sa.update(deliveries)
            .where(deliveries.c.notice_id == notice_id, deliveries.c.state.in_(_NOT_DELIVERED))
            .values(
                state=DeliveryState.PENDING.value,
                attempts=0,
                next_attempt_at=now,
                requeued_at=now,
                claimed_at=None,
                last_error=None,
            )
        )
        return result.rowcount

    async def failure_reasons(self, notice_id: int) -> dict[str, int]:
        """How many rows of the notice failed, by the reason kept (Telegram's words)."""
        rows = await self.c.execute(
            sa.select(deliveries.c.last_error, sa.func.count())
            .where(
                deliveries.c.notice_id == notice_id,
                deliveries.c.state == DeliveryState.FAILED.value,
            )
            .group_by(deliveries.c.last_error)
        )
        return {str(reason or ""): count for reason, count in rows}

    async def of_notices(self, notice_ids: Sequence[int]) -> list[Delivery]:
        if not notice_ids:
            return []
        rows = await self.c.execute(
            sa.select(deliveries)
            .where(deliveries.c.notice_id.in_(list(notice_ids)))
            .order_by(deliveries.c.notice_id, deliveries.c.id)
        )
        return [_delivery(row) for row in rows]


class DialogRepo(_Repo):
    async def get(self, telegram_user_id: int) -> tuple[str, str, dict[str, Any]] | None:
        row = (
            await self.c.execute(
                sa.select(dialogs).where(dialogs.c.telegram_user_id == telegram_user_id)
            )
        ).first()
        if row is None:
            return None
        return row.kind, row.step, json.loads(row.data)

    async def save(
        self, telegram_user_id: int, kind: str, step: str, data: dict[str, Any], now: datetime
    ) -> None:
        encoded = json.dumps(data, ensure_ascii=False, sort_keys=True)
        await upsert(
            self.c,
            dialogs,
            dialogs.c.telegram_user_id,
            telegram_user_id,
            {"kind": kind, "step": step, "data": encoded, "updated_at": now},
        )

    async def delete(self, telegram_user_id: int) -> None:
        await self.c.execute(
            sa.delete(dialogs).where(dialogs.c.telegram_user_id == telegram_user_id)
        )


class AudienceRepo(_Repo):
    """Who an audience reaches: members with their team roles, and focal points."""

    async def members(
        self, statuses: Sequence[MemberStatus]
    ) -> list[tuple[Member, dict[str, str]]]:
        query = (
            sa.select(*MEMBER_COLUMNS)
            .join_from(members, accounts, members.c.telegram_user_id == accounts.c.telegram_user_id)
            .where(members.c.status.in_([s.value for s in statuses]))
            .order_by(members.c.id)
        )
        rows = (await self.c.execute(query)).all()
        team_rows = await self.c.execute(
            sa.select(team_members.c.member_id, teams.c.slug, team_members.c.role).join(
                teams, teams.c.id == team_members.c.team_id
            )
        )
        roles_of: dict[int, dict[str, str]] = {}
        for member_id, slug, role in team_rows:
            roles_of.setdefault(member_id, {})[slug] = role
        return [
            (member_from_row(row, sorted(roles_of.get(row.id, {}))), roles_of.get(row.id, {}))
            for row in rows
        ]

    async def focal_points(self, countries: Sequence[str]) -> list[Recipient]:
        query = sa.select(roles.c.telegram_user_id).where(roles.c.role == Role.FOCAL_POINT.value)
        if countries:
            query = query.where(roles.c.country.in_(list(countries)))
        ids = list((await self.c.execute(query)).scalars())
        return await RoleRepo(self.c).recipients(ids)
