"""The meeting's report as its export lists it (bot/domain/reports.py): every invitee with
their answer, and every message of the meeting's notices, each in one query whatever the
audience and as light tuples (an export of 100,000 invitees holds them all)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from bot.domain.models import Answer, AttendanceRow, DeliveryLogRow, DeliveryState, MemberStatus
from storage.rows import Repo, ScopeFilter
from storage.schema import (
    accounts,
    deliveries,
    invitations,
    members,
    responses,
    team_members,
)

_ANSWERS = {answer.value: answer for answer in Answer}
_STATES = {state.value: state for state in DeliveryState}


def _member_party(request_ids: Sequence[int]) -> sa.ColumnElement[bool]:
    """Joins a member to their own answer among these requests' ("member:12"): probed
    through the (request, party) index from each member, never a scan per answer."""
    return sa.and_(
        responses.c.request_id.in_(list(request_ids)),
        responses.c.party == sa.literal("member:", sa.String) + sa.cast(members.c.id, sa.String),
    )


class ReportRepo(Repo):
    async def request_people(
        self, request_ids: Sequence[int]
    ) -> dict[int, tuple[str, str, bool, frozenset[int]]]:
        """The members the requests' answers name, by id: (name, country, whether they may
        answer for themselves, team ids) of each member who is a party or answered for one. Three queries whatever the
        audience (a request to 100,000 members names as many)."""
        ids = list(request_ids)
        if not ids:
            return {}
        columns = (members.c.id, members.c.full_name, members.c.country, members.c.status)
        # A member party may answer when active and with an account, as storage/roster.py
        # `answerers` counts them.
        parties = sa.select(*columns, accounts.c.telegram_user_id.is_not(None)).select_from(
            members.join(responses, _member_party(ids)).outerjoin(
                accounts, accounts.c.telegram_user_id == members.c.telegram_user_id
            )
        )
        authors = (
            sa.select(*columns, sa.true())
            .select_from(members.join(responses, responses.c.answered_by == members.c.id))
            .where(responses.c.request_id.in_(ids))
        )
        found: dict[int, tuple[str, str, bool, frozenset[int]]] = {}
        for query in (authors, parties):  # a party's own row last: its account decides
            for member_id, name, country, status, has_account in await self.c.execute(query):
                active_party = status == MemberStatus.ACTIVE.value and bool(has_account)
                found[member_id] = (name, country, active_party, frozenset())
        teams: dict[int, set[int]] = {}
        for member_id, team_id in await self.c.execute(
            sa.select(team_members.c.member_id, team_members.c.team_id)
            .select_from(members.join(responses, _member_party(ids)))
            .join(team_members, team_members.c.member_id == members.c.id)
        ):
            teams.setdefault(member_id, set()).add(team_id)
        return {
            member_id: (name, country, is_active, frozenset(teams.get(member_id, ())))
            for member_id, (name, country, is_active, _) in found.items()
        }

    async def answerer_counts(self) -> tuple[dict[str, int], dict[int, int]]:
        """How many active members (with an account) may answer for each country and for
        each team: two grouped counts, whatever the roster."""
        active = sa.and_(
            members.c.status == MemberStatus.ACTIVE.value,
            members.c.telegram_user_id == accounts.c.telegram_user_id,
        )
        countries = {
            country: int(n)
            for country, n in await self.c.execute(
                sa.select(members.c.country, sa.func.count())
                .select_from(members, accounts)
                .where(active)
                .group_by(members.c.country)
            )
        }
        teams = {
            team_id: int(n)
            for team_id, n in await self.c.execute(
                sa.select(team_members.c.team_id, sa.func.count())
                .select_from(team_members.join(members, members.c.id == team_members.c.member_id))
                .join(accounts, accounts.c.telegram_user_id == members.c.telegram_user_id)
                .where(members.c.status == MemberStatus.ACTIVE.value)
                .group_by(team_members.c.team_id)
            )
        }
        return countries, teams

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
