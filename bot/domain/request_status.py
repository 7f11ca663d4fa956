"""A request's status: which parties owe an answer, who answered, and whom a viewer sees.

The secretariat sees every party; a focal point or team chair, within their `Scope`, only
the parties they oversee. At the deadline, an escalation shows a focal point or a team
chair the answers still owed by their countries or teams. bot/domain/exports.py turns a
status into export sheets.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from bot.domain.access import Scope, load_principal
from bot.domain.request_models import Party, PartyKind, Request, Response
from storage.tx import Tx


@dataclass(frozen=True)
class RequestReport:
    request: Request
    responses: list[Response]
    member_names: dict[int, str]  # answered_by and member parties
    member_countries: dict[int, str]
    team_names: dict[int, str]
    answerers: dict[str, int]  # how many members may answer for each party


async def build_report(
    tx: Tx, request: Request, scope: Scope | None = None
) -> RequestReport | None:
    responses = await tx.responses.of_requests([request.id])
    if scope is not None and not scope.everything:
        responses = await _in_scope(tx, responses, scope)
        if not responses:
            return None
    member_ids = {r.answered_by for r in responses if r.answered_by is not None}
    parties = [Party.stored(r.party) for r in responses]
    member_ids |= {p.id for p in parties if p.kind is PartyKind.MEMBER}
    names: dict[int, str] = {}
    countries: dict[int, str] = {}
    for member_id in member_ids:
        member = await tx.members.get(member_id)
        if member is not None:
            names[member_id] = member.full_name
            countries[member_id] = member.country
    team_ids = [p.id for p in parties if p.kind is PartyKind.TEAM]
    answerers = await tx.audience.answerers([r.party for r in responses])
    return RequestReport(
        request,
        responses,
        names,
        countries,
        await tx.teams.names(team_ids),
        {party: len(people) for party, people in answerers.items()},
    )


async def _in_scope(tx: Tx, responses: list[Response], scope: Scope) -> list[Response]:
    parties = [Party.stored(r.party) for r in responses]
    member_ids = [p.id for p in parties if p.kind is PartyKind.MEMBER]
    teams = await tx.teams.ids_of_members(member_ids)
    kept = []
    for response, party in zip(responses, parties, strict=True):
        country, team_ids = None, set()
        if party.kind is PartyKind.MEMBER:
            member = await tx.members.get(party.id)
            country = member.country if member else None
            team_ids = teams.get(party.id, set())
        if scope.covers_party(response.party, country, team_ids):
            kept.append(response)
    return kept


async def escalation_of(
    tx: Tx, request: Request, telegram_user_id: int
) -> tuple[RequestReport, list[Response]] | None:
    """For a focal point or team chair: the request's status, and the answers still owed by
    their countries or teams. None if nothing concerns them any more."""
    report = await build_report(tx, request)
    assert report is not None
    principal = await load_principal(tx, telegram_user_id)
    chaired = set()
    if principal.member is not None:
        chaired = {
            team.id
            for team, role in await tx.teams.of_member(principal.member.id)
            if role.value == "chair"
        }
    mine = _owed_within(report, principal.focal_countries, chaired)
    return (report, mine) if mine else None


def _owed_within(
    report: RequestReport, countries: Collection[str], chaired: Collection[int]
) -> list[Response]:
    """The answers still owed by `countries` (their delegations and members) or by the
    `chaired` teams."""
    mine = []
    for response in report.responses:
        if not response.owed:
            continue
        party = Party.stored(response.party)
        if (
            (party.kind is PartyKind.COUNTRY and party.key in countries)
            or (
                party.kind is PartyKind.MEMBER
                and report.member_countries.get(party.id) in countries
            )
            or (party.kind is PartyKind.TEAM and party.id in chaired)
        ):
            mine.append(response)
    return mine
