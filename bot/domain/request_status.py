"""A request's status: which parties owe an answer, who answered, and whom a viewer sees.

The secretariat sees every party; a focal point or team chair, within their `Scope`, only
the parties they oversee. At the deadline, an escalation shows a focal point or a team
chair the answers still owed by their countries or teams. bot/domain/exports.py turns a
status into export sheets.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
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
    """The request's status; within `scope`, only the answers owed by parties the viewer
    oversees, and None if there are none."""
    return (await build_reports(tx, [request], scope))[request.id]


async def build_reports(
    tx: Tx, requests: Sequence[Request], scope: Scope | None = None
) -> dict[int, RequestReport | None]:
    """The statuses of several requests (a plan's occurrences) by id, in a constant number
    of queries whatever the audience and however many requests: the answers, the members
    they name, the teams' names, and how many may answer for each country and team."""
    if not requests:
        return {}
    ids = [r.id for r in requests]
    answers: dict[int, list[Response]] = {i: [] for i in ids}
    for response in await tx.responses.of_requests(ids):
        answers[response.request_id].append(response)
    people = await tx.reports.request_people(ids)
    by_country, by_team = await tx.reports.answerer_counts()
    team_ids = {
        party.id
        for response in (r for found in answers.values() for r in found)
        if (party := Party.parse(response.party)) is not None and party.kind is PartyKind.TEAM
    }
    team_names = await tx.teams.names(sorted(team_ids))
    names = {member_id: person[0] for member_id, person in people.items()}
    countries = {member_id: person[1] for member_id, person in people.items()}
    reports: dict[int, RequestReport | None] = {}
    for request in requests:
        responses = answers[request.id]
        if scope is not None and not scope.everything:
            responses = [r for r in responses if _covers(scope, r, people)]
            if not responses:
                reports[request.id] = None
                continue
        reports[request.id] = RequestReport(
            request,
            responses,
            names,
            countries,
            team_names,
            {r.party: _answerers(r.party, people, by_country, by_team) for r in responses},
        )
    return reports


# A member's (name, country, may answer for themselves, team ids): storage/reports.py.
_Person = tuple[str, str, bool, frozenset[int]]


def _covers(scope: Scope, response: Response, people: dict[int, _Person]) -> bool:
    party = Party.stored(response.party)
    country, teams = None, set()
    if party.kind is PartyKind.MEMBER and party.id in people:
        country, teams = people[party.id][1], set(people[party.id][3])
    return scope.covers_party(response.party, country, teams)


def _answerers(
    stored: str, people: dict[int, _Person], by_country: dict[str, int], by_team: dict[int, int]
) -> int:
    """How many members may answer for the party."""
    party = Party.parse(stored)
    if party is None:
        return 0
    if party.kind is PartyKind.MEMBER:
        return 1 if party.id in people and people[party.id][2] else 0
    if party.kind is PartyKind.COUNTRY:
        return by_country.get(party.key, 0)
    return by_team.get(party.id, 0)


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
