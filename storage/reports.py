"""The meeting's report as its export lists it (bot/domain/reports.py): every invitee with
their answer, and every message of the meeting's notices, each in one query whatever the
audience and as light tuples (an export of 100,000 invitees holds them all)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from bot.domain.models import Answer, AttendanceRow, DeliveryLogRow, DeliveryState
from storage.rows import Repo, ScopeFilter
from storage.schema import deliveries, invitations, members

_ANSWERS = {answer.value: answer for answer in Answer}
_STATES = {state.value: state for state in DeliveryState}


class ReportRepo(Repo):
    async def attendance(self, meeting_id: int, scope: ScopeFilter) -> list[AttendanceRow]:
        """The meeting's invitees within `scope`, unordered, with the names of their
        substitutes and of whom they stand in for."""
        substitute, replaced = members.alias("substitute"), members.alias("replaced")
        query = (
            sa.select(
                members.c.id,
                members.c.telegram_user_id,
                members.c.country,
                members.c.full_name,
                members.c.institution,
                members.c.position,
                members.c.email,
                invitations.c.answer,
                invitations.c.answered_at,
                invitations.c.needs_confirmation,
                invitations.c.comment,
                substitute.c.full_name,
                replaced.c.full_name,
            )
            .select_from(
                invitations.join(members, members.c.id == invitations.c.member_id)
                .outerjoin(substitute, substitute.c.id == invitations.c.substitute_id)
                .outerjoin(replaced, replaced.c.id == invitations.c.stands_in_for)
            )
            .where(invitations.c.meeting_id == meeting_id, scope.members())
        )
        answers = _ANSWERS
        return [
            AttendanceRow(
                member,
                user,
                country,
                name,
                institution,
                position,
                email,
                answers[answer] if answer else None,
                answered_at,
                bool(confirm),
                comment,
                substitute_name,
                replaced_name,
            )
            for (
                member,
                user,
                country,
                name,
                institution,
                position,
                email,
                answer,
                answered_at,
                confirm,
                comment,
                substitute_name,
                replaced_name,
            ) in await self.c.execute(query)
        ]

    async def delivery_log(
        self, meeting_id: int, notice_ids: Sequence[int], scope: ScopeFilter
    ) -> list[DeliveryLogRow]:
        """The messages of these notices (the meeting's), by notice and then as queued;
        within `scope`, only those to the meeting's invitees in it."""
        if not notice_ids:
            return []
        query = (
            sa.select(
                deliveries.c.notice_id,
                deliveries.c.telegram_user_id,
                deliveries.c.state,
                deliveries.c.sent_at,
                deliveries.c.attempts,
                deliveries.c.acknowledged_at,
                deliveries.c.last_error,
            )
            .where(deliveries.c.notice_id.in_(list(notice_ids)))
            .order_by(deliveries.c.notice_id, deliveries.c.id)
        )
        if not scope.everything:
            invitees = (
                sa.select(members.c.telegram_user_id)
                .join(invitations, invitations.c.member_id == members.c.id)
                .where(invitations.c.meeting_id == meeting_id, scope.members())
            )
            query = query.where(deliveries.c.telegram_user_id.in_(invitees))
        states = _STATES
        return [
            DeliveryLogRow(notice, user, states[state], *rest)
            for notice, user, state, *rest in await self.c.execute(query)
        ]
