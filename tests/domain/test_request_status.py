"""A request's status (bot/domain/request_status.py): the answers, the members they name and
how many may answer for each party, read in a constant number of queries whatever the
audience, as the answerers' own lookup counts them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from bot.domain.access import Scope
from bot.domain.models import Audience, MemberStatus
from bot.domain.request_models import Party
from tests.auxil.data import insert_member
from tests.auxil.harness import Harness
from tests.auxil.requests import request_spec
from tests.conftest import ADMIN_ID


async def _request(bot: Harness, delegates: int, at: int = 0) -> tuple[int, dict[str, int]]:
    """A request to Bosnia & Herzegovina, to a criminal team and to `delegates` members of
    North Macedonia by name (one of them revoked since); Emina answers for her country and
    the first Macedonian for himself. `at` sets the Telegram ids apart (a second request)."""
    slug = f"criminal{at}" if at else "criminal"
    team = await bot.services.roster.create_team("Regional expert team – criminal matters", slug)
    now = bot.clock.now()
    ids: dict[str, int] = {}
    async with bot.services.db.transaction() as tx:
        ids["emina"] = await insert_member(tx, at + 505, "Emina Hadžić", "BA", now)
        ids["mirza"] = await insert_member(tx, at + 506, "Mirza Begić", "BA", now)
        ids["ana"] = await insert_member(tx, at + 507, "Ana Petrović", "RS", now, team_slug=slug)
        for n in range(delegates):
            ids[f"mk{n}"] = await insert_member(
                tx, at + 600 + n, f"Делегат {n}", "MK", now, team_slug=slug if n % 2 else None
            )
    macedonians = tuple(ids[f"mk{n}"] for n in range(delegates))
    request_id, _, _ = await bot.services.requests.create(
        request_spec(audience=Audience(countries=("BA",), teams=(slug,), members=macedonians)),
        created_by=ADMIN_ID,
    )
    await bot.deliver()
    async with bot.services.db.transaction() as tx:
        await tx.members.update(ids[f"mk{delegates - 1}"], now, status=MemberStatus.REVOKED.value)
    assert (await bot.services.requests.answer_choice(request_id, at + 505, 0)).changed  # for BA
    assert (await bot.services.requests.answer_choice(request_id, at + 600, 1)).changed  # himself
    ids["team"] = team.id
    return request_id, ids


async def test_the_status_names_and_counts_as_the_answerers_lookup_does(bot: Harness) -> None:
    request_id, ids = await _request(bot, 4)
    report = await bot.services.requests.report(request_id)
    assert report is not None
    parties = [r.party for r in report.responses]
    # A request asks a team's members one by one (an action plan asks the team itself).
    assert set(parties) == {
        "country:BA",
        str(Party.member(ids["ana"])),
        *(str(Party.member(ids[f"mk{n}"])) for n in range(4)),
    }
    async with bot.services.db.transaction() as tx:
        oracle = await tx.audience.answerers(parties)
        named = {r.answered_by for r in report.responses if r.answered_by} | {
            Party.stored(p).id for p in parties if p.startswith("member:")
        }
        members = {i: await tx.members.get(i) for i in named}
    assert report.answerers == {party: len(people) for party, people in oracle.items()}
    assert report.answerers[str(Party.member(ids["mk3"]))] == 0  # revoked: nobody answers
    assert report.answerers["country:BA"] == 2
    for member_id, member in members.items():
        assert member is not None
        assert report.member_names[member_id] == member.full_name
        assert report.member_countries[member_id] == member.country
    assert report.member_names[ids["emina"]] == "Emina Hadžić"  # answered for BA
    assert report.team_names == {}


async def test_a_focal_point_sees_the_parties_of_their_country_only(bot: Harness) -> None:
    request_id, ids = await _request(bot, 3)
    found = await bot.services.requests.report(request_id, Scope(countries=frozenset({"MK"})))
    assert found is not None
    assert sorted(r.party for r in found.responses) == sorted(
        str(Party.member(ids[f"mk{n}"])) for n in range(3)
    )
    bosnian = await bot.services.requests.report(request_id, Scope(countries=frozenset({"BA"})))
    assert bosnian is not None and [r.party for r in bosnian.responses] == ["country:BA"]
    # A chair of the team sees the answers its members owe (Ana, and the one Macedonian
    # in the team), whatever their country.
    chair = await bot.services.requests.report(request_id, Scope(teams=frozenset({ids["team"]})))
    assert chair is not None
    assert sorted(r.party for r in chair.responses) == sorted(
        [str(Party.member(ids["ana"])), str(Party.member(ids["mk1"]))]
    )
    assert (
        await bot.services.requests.report(request_id, Scope(countries=frozenset({"AL"}))) is None
    )


async def _statements(bot: Harness, delegates: int, at: int) -> int:
    request_id, _ = await _request(bot, delegates, at)
    db = bot.services.db
    seen = [0]

    def count(*_args: Any) -> None:
        seen[0] += 1

    engines = {db.engine.sync_engine, db.reader.sync_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        assert await bot.services.requests.report(request_id) is not None
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)
    return seen[0]


async def test_the_status_reads_the_same_queries_for_3_members_as_for_40(bot: Harness) -> None:
    few = await _statements(bot, 3, 0)
    many = await _statements(bot, 40, 10_000)
    assert few == many
