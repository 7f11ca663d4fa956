"""Answers to requests as members give them: which answer is whose, telling those who may
give it (the request card), recording it, and withdrawing the files of a documents answer.

A member may answer for themselves, for their country's delegation and for their teams;
where several of these owe an answer to one request, their own comes first, then their
country's, then their teams'. An answer for a country or team is given on its behalf: the
party says for whom, the audit entry who. Every answer cancels the reminders still planned
for that party. bot/domain/requests.py checks that the member may answer before calling
these.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.domain.audit import Action, record
from bot.domain.models import Member, MemberStatus, NoticeKind
from bot.domain.reminders import Planner, request_subject
from bot.domain.request_models import Party, PartyKind, Request, Response, ResponseStatus
from storage.rows import MemberSelection, chunks
from storage.tx import Tx

LISTED_AFTER_DEADLINE = timedelta(days=90)  # /requests keeps showing what is overdue
ANSWERING = (MemberStatus.ACTIVE,)  # who may answer: active members only


@dataclass(frozen=True)
class OwedAnswer:
    """A request as one member sees it: the answer owed by their party, and by whom it was
    given."""

    request: Request
    response: Response
    member: Member
    answered_by: str | None  # the name of whoever answered for the party


@dataclass(frozen=True)
class Answered:
    owed: OwedAnswer
    changed: bool  # False: the same answer again, nothing recorded
    late: bool
    file_row_id: int | None = None


async def member_parties(tx: Tx, member: Member) -> list[str]:
    """The parties a member may answer for, their own first."""
    teams = await tx.teams.of_member(member.id)
    return parties_of(member, [team.id for team, _ in teams])


def parties_of(member: Member, team_ids: Iterable[int]) -> list[str]:
    """The parties a member in these teams may answer for: their own, their country's,
    then each team's."""
    return [
        str(Party.member(member.id)),
        str(Party.country(member.country)),
        *[str(Party.team(team_id)) for team_id in team_ids],
    ]


async def owed_answers(tx: Tx, member: Member, now: datetime) -> list[OwedAnswer]:
    """What the member may answer: upcoming, and overdue ones still owed (recent)."""
    parties = await member_parties(tx, member)
    rank = {party: index for index, party in enumerate(parties)}
    chosen: dict[int, tuple[Request, Response]] = {}
    found = await tx.responses.for_parties(parties, now - LISTED_AFTER_DEADLINE)
    for request, response in found:
        if request.deadline <= now and not response.owed:
            continue
        if response.status is ResponseStatus.NOT_APPLICABLE:
            continue
        held = chosen.get(request.id)
        if held is None or rank[response.party] < rank[held[1].party]:
            chosen[request.id] = (request, response)
    return [
        await owed_answer(tx, request, response, member) for request, response in chosen.values()
    ]


async def record_answer(
    tx: Tx, now: datetime, request: Request, response: Response, member: Member, **values: Any
) -> Answered:
    """Record the member's answer (`values`: choice or text; files are added beforehand),
    late if the deadline has passed, and drop the reminders still planned for it."""
    late = now > request.deadline
    status = ResponseStatus.LATE if late else ResponseStatus.SUBMITTED
    await tx.responses.update(
        response.id,
        status=status.value,
        answered_by=member.id,
        answered_at=now,
        amendments=response.amendments + (1 if response.answered else 0),
        **values,
    )
    await tx.reminders.drop_planned(request_subject(request.id), response_ids=[response.id])
    # An answer for a country or team is given on the delegation's behalf: `party` says
    # for whom, the actor who.
    await record(
        tx,
        now,
        Action.REQUEST_ANSWER,
        "request",
        request.id,
        actor=member.telegram_user_id,
        subject=member.telegram_user_id,
        party=response.party,
        status=status.value,
        amendment=response.answered,
        kind=request.answer_kind.value,
    )
    fresh = await tx.responses.get(response.id)
    assert fresh is not None
    return Answered(await owed_answer(tx, request, fresh, member), True, late)


async def owed_answer(tx: Tx, request: Request, response: Response, member: Member) -> OwedAnswer:
    name = None
    if response.answered_by is not None:
        by = await tx.members.get(response.answered_by)
        name = by.full_name if by else None
    return OwedAnswer(request, response, member, name)


async def withdraw_answer(
    tx: Tx, now: datetime, planner: Planner, request: Request, response: Response, member: Member
) -> OwedAnswer:
    """Withdraw the files given so far (to send others): the answer is owed again, and its
    reminders are planned again."""
    await tx.responses.clear_files(response.id)
    await tx.responses.update(
        response.id,
        status=ResponseStatus.PENDING.value,
        answered_by=None,
        answered_at=None,
    )
    fresh = await tx.responses.get(response.id)
    assert fresh is not None
    await planner.plan_request(tx, request, now, [fresh])
    await record(
        tx,
        now,
        Action.REQUEST_WITHDRAW,
        "request",
        request.id,
        actor=member.telegram_user_id,
        subject=member.telegram_user_id,
        party=response.party,
    )
    return await owed_answer(tx, request, fresh, member)


async def notify_answerers(
    tx: Tx,
    request: Request,
    parties: list[str],
    now: datetime,
    *,
    changes: dict[str, Any] | None = None,
    created_by: int | None = None,
    progress_chat_id: int | None = None,
) -> tuple[int, int]:
    """Queue the request card for everyone who may answer for `parties`; (notice, count:
    how many members, each once, whether or not the bot can write to them)."""
    notice_id = await tx.notices.create(
        kind=NoticeKind.REQUEST,
        now=now,
        request_id=request.id,
        changes=changes,
        created_by=created_by,
        progress_chat_id=progress_chat_id,
    )
    # Queued by the database (INSERT … SELECT), never loading the answerers: a request to
    # every country reaches 100,000. Answerers are active members, so none is known to have
    # blocked the bot and no row is marked unreachable (as when they were queued by name).
    count = 0
    for selection in answerer_selections(parties):
        count += await tx.audience.count(selection)
        await tx.deliveries.add_selected(notice_id, selection, now)
    await tx.notices.reopen(notice_id)
    return notice_id, count


def answerer_selections(parties: Iterable[str]) -> list[MemberSelection]:
    """The members who may answer for `parties` (storage/roster.py AudienceRepo.answerers:
    active members named, of the countries, in the teams), as selections that do not
    overlap: the member parties of a team's members can be many, and are split into
    chunks small enough for the database's bound parameters."""
    member_ids: list[int] = []
    countries: list[str] = []
    team_ids: list[int] = []
    for text in dict.fromkeys(parties):
        party = Party.parse(text)
        if party is None:
            continue
        if party.kind is PartyKind.MEMBER:
            member_ids.append(party.id)
        elif party.kind is PartyKind.COUNTRY:
            countries.append(party.key)
        elif party.kind is PartyKind.TEAM:
            team_ids.append(party.id)
    groups = list(chunks(member_ids)) or [()]
    first = MemberSelection(
        statuses=ANSWERING,
        countries=tuple(countries),
        team_ids=tuple(team_ids),
        member_ids=tuple(groups[0]),
    )
    return [first] + [
        MemberSelection(statuses=ANSWERING, member_ids=tuple(group), unless=first)
        for group in groups[1:]
    ]
