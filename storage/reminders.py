"""Planned reminders: one row per subject, person and moment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from bot.domain.models import MemberStatus, Reminder, ReminderState
from bot.domain.request_models import PartyKind, ResponseStatus
from storage.rows import Repo, chunks, insert_ignore, is_postgres
from storage.schema import accounts, invitations, members, reminders, responses, team_members

# Where a person is, for placing a reminder: (time zone as stored, country or None when the
# country does not matter).
Place = tuple[str | None, str | None]


@dataclass(frozen=True)
class PlacedStep:
    """A reminder step (bot.domain.models.ReminderStep as stored), the moment it is due,
    and when it is sent in each place (a place missing from `send_at`: not sent there)."""

    step: str
    due_at: datetime
    send_at: dict[Place, datetime]


def _reminder(row: Any) -> Reminder:
    return Reminder(
        id=row.id,
        subject=row.subject,
        step=row.step,
        telegram_user_id=row.telegram_user_id,
        response_id=row.response_id,
        due_at=row.due_at,
        send_at=row.send_at,
        state=ReminderState(row.state),
    )


class ReminderRepo(Repo):
    async def plan(self, rows: Sequence[dict[str, Any]], now: datetime) -> int:
        """Add planned reminders; one that exists (same subject, step, recipient) is kept."""
        added = 0
        for chunk in chunks(list(rows)):
            result = await self.c.execute(
                insert_ignore(self.c, reminders),
                [{**row, "state": ReminderState.PLANNED.value, "created_at": now} for row in chunk],
            )
            added += max(result.rowcount, 0)
        return added

    async def invitee_places(
        self, meeting_id: int, *, owing: bool, answers: Sequence[str], by_country: bool
    ) -> list[Place]:
        """The distinct places of a meeting's active invitees who owe an answer (`owing`) or
        gave one of `answers`: a reminder is placed once per place, not once per person."""
        invitees = _state(owing, answers)
        country = members.c.country if by_country else sa.null()
        rows = await self.c.execute(
            _invitees(meeting_id, invitees, accounts.c.timezone, country).distinct()
        )
        return [(tz, c) for tz, c in rows]

    async def plan_invitees(
        self,
        meeting_id: int,
        *,
        owing: bool,
        answers: Sequence[str],
        subject: str,
        step: str,
        due_at: datetime,
        send_at: dict[Place, datetime],
        now: datetime,
    ) -> int:
        """Plan one step for a meeting's active invitees who owe an answer (`owing`) or gave
        one of `answers`, each sent at the time given for their place (none for a place
        missing from `send_at`), in one INSERT … SELECT; one that exists (same subject, step,
        recipient) is kept."""
        if not send_at:
            return 0
        invitees = _state(owing, answers)
        when_type = reminders.c.send_at.type
        arms = []
        for (timezone, country), moment in send_at.items():
            where = accounts.c.timezone.is_not_distinct_from(timezone)
            if country is not None:
                where = sa.and_(where, members.c.country == country)
            arms.append((where, sa.literal(moment, when_type)))
        placed = sa.case(*arms, else_=sa.null())
        query = _invitees(
            meeting_id,
            invitees,
            sa.literal(subject),
            sa.literal(step),
            members.c.telegram_user_id,
            sa.literal(due_at, reminders.c.due_at.type),
            placed,
            sa.literal(ReminderState.PLANNED.value),
            sa.literal(now, reminders.c.created_at.type),
        ).where(placed.is_not(None))
        result = await self.c.execute(
            insert_ignore(self.c, reminders).from_select(
                [
                    "subject",
                    "step",
                    "telegram_user_id",
                    "due_at",
                    "send_at",
                    "state",
                    "created_at",
                ],
                query,
            )
        )
        return max(result.rowcount, 0)

    async def answerer_places(self, request_id: int, *, by_country: bool) -> list[Place]:
        """The distinct places of those who may give a request's answers still owed: a
        reminder is placed once per place, not once per person."""
        owed = _owed_answerers(request_id).subquery()
        country = owed.c.country if by_country else sa.null()
        rows = await self.c.execute(sa.select(owed.c.timezone, country).distinct())
        return [(tz, c) for tz, c in rows]

    async def plan_answerers(
        self,
        request_id: int,
        *,
        subject: str,
        steps: Sequence[PlacedStep],
        now: datetime,
    ) -> int:
        """Plan `steps` for everyone who may give a request's answers still owed, each sent
        at the time its step gives for their place (none for a place missing), in one
        INSERT … SELECT for all the steps (the answerers are found once). One row per person
        and step: one who may answer for several parties is reminded for the first party in
        the order of their text (as when rows were planned one by one in that order); one
        that exists (same subject, step, recipient) is kept."""
        steps = [s for s in steps if s.send_at]
        if not steps:
            return 0
        owed = _owed_answerers(request_id).subquery()
        first = (
            sa.select(
                owed,
                sa.func.row_number()
                .over(
                    partition_by=owed.c.telegram_user_id,
                    order_by=(owed.c.party, owed.c.response_id),
                )
                .label("rank"),
            )
        ).subquery()
        numbers = sa.union_all(
            *[sa.select(sa.literal(n, sa.Integer).label("n")) for n in range(len(steps))]
        ).subquery()
        when_type = reminders.c.send_at.type
        arms = []
        for n, placed_step in enumerate(steps):
            for (timezone, country), moment in placed_step.send_at.items():
                where = sa.and_(numbers.c.n == n, first.c.timezone.is_not_distinct_from(timezone))
                if country is not None:
                    where = sa.and_(where, first.c.country == country)
                arms.append((where, sa.literal(moment, when_type)))
        placed = sa.case(*arms, else_=sa.null())
        query = (
            sa.select(
                sa.literal(subject),
                sa.case(*[(numbers.c.n == n, sa.literal(s.step)) for n, s in enumerate(steps)]),
                first.c.telegram_user_id,
                first.c.response_id,
                sa.case(
                    *[
                        (numbers.c.n == n, sa.literal(s.due_at, reminders.c.due_at.type))
                        for n, s in enumerate(steps)
                    ]
                ),
                placed,
                sa.literal(ReminderState.PLANNED.value),
                sa.literal(now, reminders.c.created_at.type),
            )
            .select_from(first.join(numbers, sa.true()))
            .where(first.c.rank == 1, placed.is_not(None))
        )
        result = await self.c.execute(
            insert_ignore(self.c, reminders).from_select(
                [
                    "subject",
                    "step",
                    "telegram_user_id",
                    "response_id",
                    "due_at",
                    "send_at",
                    "state",
                    "created_at",
                ],
                query,
            )
        )
        return max(result.rowcount, 0)

    async def drop_planned(
        self,
        subject: str,
        *,
        users: Sequence[int] | None = None,
        response_ids: Sequence[int] | None = None,
        step_prefixes: Sequence[str] = (),
    ) -> int:
        """Forget reminders not yet sent (they are re-planned from the current state)."""
        query = sa.delete(reminders).where(
            reminders.c.subject == subject, reminders.c.state == ReminderState.PLANNED.value
        )
        if users is not None:
            query = query.where(reminders.c.telegram_user_id.in_(list(users)))
        if response_ids is not None:
            query = query.where(reminders.c.response_id.in_(list(response_ids)))
        if step_prefixes:
            query = query.where(
                sa.or_(*[reminders.c.step.startswith(prefix) for prefix in step_prefixes])
            )
        result = await self.c.execute(query)
        return max(result.rowcount, 0)

    async def claim_due(self, now: datetime, limit: int) -> list[Reminder]:
        """The next due planned reminders, locked for this transaction on PostgreSQL (another
        sweeping process skips them), in the order they are due."""
        query = (
            sa.select(reminders)
            .where(reminders.c.state == ReminderState.PLANNED.value, reminders.c.send_at <= now)
            .order_by(reminders.c.send_at, reminders.c.id)
            .limit(limit)
        )
        if is_postgres(self.c):
            query = query.with_for_update(skip_locked=True)
        return [_reminder(row) for row in await self.c.execute(query)]

    async def mark(self, ids: Sequence[int], state: ReminderState, now: datetime) -> int:
        done = 0
        for chunk in chunks(list(ids)):
            result = await self.c.execute(
                sa.update(reminders)
                .where(
                    reminders.c.id.in_(list(chunk)),
                    reminders.c.state == ReminderState.PLANNED.value,
                )
                .values(state=state.value, handled_at=now)
            )
            done += max(result.rowcount, 0)
        return done

    async def next_send_at(self) -> datetime | None:
        """When the next planned reminder is due (tests move their clock there)."""
        return (
            await self.c.execute(
                sa.select(sa.func.min(reminders.c.send_at)).where(
                    reminders.c.state == ReminderState.PLANNED.value
                )
            )
        ).scalar_one_or_none()

    async def of_subject(self, subject: str) -> list[Reminder]:
        rows = await self.c.execute(
            sa.select(reminders)
            .where(reminders.c.subject == subject)
            .order_by(reminders.c.send_at, reminders.c.telegram_user_id, reminders.c.id)
        )
        return [_reminder(row) for row in rows]


def _state(owing: bool, answers: Sequence[str]) -> sa.ColumnElement[bool]:
    """Invitations not answered yet or whose answer must be confirmed again (`owing`), or
    answered with one of `answers`."""
    parts: list[sa.ColumnElement[bool]] = []
    if owing:
        parts.append(
            sa.or_(invitations.c.answer.is_(None), invitations.c.needs_confirmation.is_(True))
        )
    if answers:
        parts.append(invitations.c.answer.in_(list(answers)))
    return sa.or_(*parts) if parts else sa.false()


def _invitees(meeting_id: int, invitees: sa.ColumnElement[bool], *columns: Any) -> sa.Select[Any]:
    # Reminders go to active members only (as AudienceRepo.answerers).
    return (
        sa.select(*columns)
        .select_from(
            invitations.join(members, members.c.id == invitations.c.member_id).join(
                accounts, accounts.c.telegram_user_id == members.c.telegram_user_id
            )
        )
        .where(
            invitations.c.meeting_id == meeting_id,
            members.c.status == MemberStatus.ACTIVE.value,
            invitees,
        )
    )


def _party_key(kind: PartyKind) -> sa.ColumnElement[Any]:
    """The key of a response's party of `kind` (a country's code, a row number as text),
    NULL for a party of another kind: a CASE, so that no other party's key is ever cast."""
    prefix = f"{kind.value}:"
    return sa.case(
        (
            sa.func.substr(responses.c.party, 1, len(prefix)) == prefix,
            sa.func.substr(responses.c.party, len(prefix) + 1),
        ),
        else_=sa.null(),
    )


def _owed_answerers(request_id: int) -> sa.CompoundSelect:
    """(response id, party, Telegram id, time zone, country) of everyone who may give each
    of a request's answers still owed: active members with an account, named (member
    parties), of the country or in the team (as storage/roster.py AudienceRepo.answerers)."""
    owed = sa.and_(
        responses.c.request_id == request_id,
        responses.c.status == ResponseStatus.PENDING.value,
        members.c.status == MemberStatus.ACTIVE.value,
    )
    columns = (
        responses.c.id.label("response_id"),
        responses.c.party,
        members.c.telegram_user_id,
        accounts.c.timezone,
        members.c.country,
    )
    with_account = members.join(accounts, accounts.c.telegram_user_id == members.c.telegram_user_id)
    named = sa.select(*columns).select_from(
        responses.join(
            with_account,
            members.c.id == sa.cast(_party_key(PartyKind.MEMBER), sa.Integer),
        )
    )
    of_country = sa.select(*columns).select_from(
        responses.join(with_account, members.c.country == _party_key(PartyKind.COUNTRY))
    )
    in_team = sa.select(*columns).select_from(
        responses.join(
            team_members,
            team_members.c.team_id == sa.cast(_party_key(PartyKind.TEAM), sa.Integer),
        ).join(with_account, members.c.id == team_members.c.member_id)
    )
    return sa.union_all(named.where(owed), of_country.where(owed), in_team.where(owed))
