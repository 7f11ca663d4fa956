"""Invitations to meetings and the answers (RSVPs) given to them."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa

from bot.domain.models import Answer, Invitation, Meeting, Member
from storage.meetings import meeting_from_row
from storage.rows import (
    MEMBER_COLUMNS,
    MemberSelection,
    Repo,
    ScopeFilter,
    chunks,
    insert_ignore,
    member_from_row,
)
from storage.schema import accounts, invitations, meetings, members


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


class InvitationRepo(Repo):
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

    async def add_selected(
        self,
        meeting_id: int,
        selection: MemberSelection,
        now: datetime,
        stands_in_for: int | None = None,
    ) -> int:
        """Invite the members `selection` picks, in one INSERT … SELECT; returns how many
        were not invited before."""
        query = selection.select(
            sa.literal(meeting_id),
            members.c.id,
            sa.literal(False),
            sa.literal(stands_in_for, invitations.c.stands_in_for.type),
            sa.literal(now, invitations.c.invited_at.type),
        )
        result = await self.c.execute(
            insert_ignore(self.c, invitations).from_select(
                ["meeting_id", "member_id", "needs_confirmation", "stands_in_for", "invited_at"],
                query,
            )
        )
        return max(result.rowcount, 0)

    async def any(self, meeting_id: int) -> bool:
        """Has the meeting invited anyone?"""
        found = await self.c.execute(
            sa.select(invitations.c.id).where(invitations.c.meeting_id == meeting_id).limit(1)
        )
        return found.first() is not None

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

        return _invitation(part("i_")), meeting_from_row(part("m_")), member_from_row(part("p_"))

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

    async def of_members(self, meeting_id: int, member_ids: Sequence[int]) -> list[Invitation]:
        """The invitations of these members only: a press re-plans one member's reminders
        without reading the whole meeting's (the cost stays flat with the audience)."""
        if not member_ids:
            return []
        rows = await self.c.execute(
            sa.select(invitations)
            .where(
                invitations.c.meeting_id == meeting_id,
                invitations.c.member_id.in_(list(member_ids)),
            )
            .order_by(invitations.c.id)
        )
        return [_invitation(row) for row in rows]

    async def answer_counts(
        self, meeting_id: int, scope: ScopeFilter
    ) -> list[tuple[str, str | None, bool, int]]:
        """(country, answer, must confirm again, how many) of the meeting's invitees within
        `scope`: one aggregate, whatever the audience."""
        rows = await self.c.execute(
            sa.select(
                members.c.country,
                invitations.c.answer,
                invitations.c.needs_confirmation,
                sa.func.count(),
            )
            .join(members, members.c.id == invitations.c.member_id)
            .where(invitations.c.meeting_id == meeting_id, scope.members())
            .group_by(members.c.country, invitations.c.answer, invitations.c.needs_confirmation)
        )
        return [(country, answer, bool(confirm), int(n)) for country, answer, confirm, n in rows]

    async def unanswered(self, meeting_id: int, scope: ScopeFilter, limit: int) -> list[Member]:
        """The first `limit` invitees within `scope` who have not answered, by country and
        name."""
        rows = await self.c.execute(
            sa.select(*MEMBER_COLUMNS)
            .join_from(members, accounts, members.c.telegram_user_id == accounts.c.telegram_user_id)
            .join(invitations, invitations.c.member_id == members.c.id)
            .where(
                invitations.c.meeting_id == meeting_id,
                invitations.c.answer.is_(None),
                scope.members(),
            )
            .order_by(members.c.country, sa.func.lower(members.c.full_name), members.c.id)
            .limit(limit)
        )
        return [member_from_row(row) for row in rows]

    async def update(self, invitation_id: int, **values: Any) -> None:
        await self.c.execute(
            sa.update(invitations).where(invitations.c.id == invitation_id).values(**values)
        )

    async def ask_reconfirmation(
        self, meeting_id: int, *, unless: Sequence[str] | None = None
    ) -> int:
        """Every answer given so far must be confirmed again (the date moved), or every
        answer but those `unless` names (those the meeting still offers)."""
        query = sa.update(invitations).where(
            invitations.c.meeting_id == meeting_id, invitations.c.answer.is_not(None)
        )
        if unless is not None:
            query = query.where(invitations.c.answer.not_in(list(unless)))
        result = await self.c.execute(query.values(needs_confirmation=True))
        return result.rowcount
