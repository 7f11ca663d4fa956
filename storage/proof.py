"""Proof of notification (bot/domain/proof.py): a notice's recipients and what became of
the message, read in one joined query whatever the audience."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from bot.domain.models import DeliveryState, ProofRow
from bot.domain.request_models import ResponseStatus
from storage.rows import Repo
from storage.schema import audit_people, deliveries, invitations, members, responses, team_members

_ANSWERED = (ResponseStatus.SUBMITTED.value, ResponseStatus.LATE.value)
_STATES = {state.value: state for state in DeliveryState}


class ProofRepo(Repo):
    async def rows(
        self, notice_id: int, *, meeting_id: int | None = None, request_id: int | None = None
    ) -> list[ProofRow]:
        """One row per delivery of the notice, unordered: the member it reached (if still
        one), their reference in the audit log, and when they answered what the notice
        asked: their invitation to `meeting_id`, or `request_id` answered by them, for
        their country, or for one of their teams (the lowest team id first)."""
        answered: sa.ColumnElement[Any] = sa.null()
        source = deliveries.outerjoin(
            members, members.c.telegram_user_id == deliveries.c.telegram_user_id
        ).outerjoin(audit_people, audit_people.c.telegram_user_id == deliveries.c.telegram_user_id)
        if meeting_id is not None:
            source = source.outerjoin(
                invitations,
                sa.and_(
                    invitations.c.member_id == members.c.id,
                    invitations.c.meeting_id == meeting_id,
                ),
            )
            answered = invitations.c.answered_at
        elif request_id is not None:
            own, country = responses.alias("own"), responses.alias("country")
            team = _first_team_answers(request_id)
            source = (
                source.outerjoin(
                    own,
                    sa.and_(
                        own.c.request_id == request_id,
                        own.c.party == _party("member:", sa.cast(members.c.id, sa.String)),
                        own.c.status.in_(_ANSWERED),
                    ),
                )
                .outerjoin(
                    country,
                    sa.and_(
                        country.c.request_id == request_id,
                        country.c.party == _party("country:", members.c.country),
                        country.c.status.in_(_ANSWERED),
                    ),
                )
                .outerjoin(team, team.c.member_id == members.c.id)
            )
            answered = sa.func.coalesce(
                own.c.answered_at, country.c.answered_at, team.c.answered_at
            )
        query = (
            sa.select(
                deliveries.c.telegram_user_id,
                members.c.id,
                members.c.country,
                members.c.full_name,
                audit_people.c.ref,
                deliveries.c.state,
                deliveries.c.created_at,
                deliveries.c.sent_at,
                deliveries.c.message_id,
                deliveries.c.attempts,
                deliveries.c.acknowledged_at,
                deliveries.c.last_error,
                answered.label("answered_at"),
            )
            .select_from(source)
            .where(deliveries.c.notice_id == notice_id)
        )
        states = _STATES
        return [
            ProofRow(user, member, country or "", name, ref, states[state], *rest)
            for user, member, country, name, ref, state, *rest in await self.c.execute(query)
        ]


def _party(kind: str, key: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    """A party as stored in `responses.party`: "member:12", "country:RS", "team:3"."""
    return sa.literal(kind, sa.String) + key


def _first_team_answers(request_id: int) -> sa.Subquery:
    """For each member in a team that answered the request: the answer of their team with
    the lowest id."""
    ranked = (
        sa.select(
            team_members.c.member_id,
            responses.c.answered_at,
            sa.func.row_number()
            .over(partition_by=team_members.c.member_id, order_by=team_members.c.team_id)
            .label("rank"),
        )
        .join(
            responses,
            responses.c.party == _party("team:", sa.cast(team_members.c.team_id, sa.String)),
        )
        .where(
            responses.c.request_id == request_id,
            responses.c.status.in_(_ANSWERED),
            responses.c.answered_at.is_not(None),
        )
        .subquery()
    )
    return sa.select(ranked.c.member_id, ranked.c.answered_at).where(ranked.c.rank == 1).subquery()
