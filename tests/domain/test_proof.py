"""Proof of notification (bot/domain/proof.py): one row per recipient, with when what the
notice asked was answered, read in a constant number of queries."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.models import Answer, Audience, TeamRole
from bot.domain.request_models import ResponseStatus
from tests.auxil.data import insert_member
from tests.auxil.harness import Harness
from tests.auxil.meetings import invitation_of, spec
from tests.auxil.requests import request_spec
from tests.conftest import ADMIN_ID


async def test_a_countrys_answer_counts_for_each_of_its_delegates(bot: Harness) -> None:
    await bot.services.roster.create_team("Regional expert team – criminal matters", "criminal")
    now = bot.clock.now()
    async with bot.services.db.transaction() as tx:
        emina = await insert_member(tx, 505, "Emina Hadžić", "BA", now, team_slug="criminal")
        await insert_member(tx, 506, "Mirza Begić", "BA", now, team_slug="criminal")
        await insert_member(tx, 507, "Ana Petrović", "RS", now, team_slug="criminal")
    request_id, notice_id, count = await bot.services.requests.create(
        request_spec(audience=Audience(countries=("BA", "RS"))), created_by=ADMIN_ID
    )
    assert count == 3 and emina
    await bot.deliver()
    await bot.services.requests.answer_choice(request_id, 505, 0)  # Emina, for BA
    report = await bot.services.reports.proof(notice_id)
    assert report is not None
    answered = {row.name: row.answered_at for row in report.rows}
    assert answered["Emina Hadžić"] is not None
    assert answered["Mirza Begić"] == answered["Emina Hadžić"]  # the country's answer
    assert answered["Ana Petrović"] is None
    assert [row.country for row in report.rows if row.member_id is not None] == ["BA", "BA", "RS"]
    # Her answer is in the log under her reference; the proof names it.
    refs = {row.name: row.ref for row in report.rows}
    assert refs["Emina Hadžić"] is not None and refs["Emina Hadžić"].startswith("P-")


async def test_a_meetings_proof_by_country_and_name_with_those_no_longer_members_last(
    bot: Harness,
) -> None:
    await bot.services.roster.create_team("Regional expert team – criminal matters", "criminal")
    now = bot.clock.now()
    async with bot.services.db.transaction() as tx:
        await insert_member(tx, 601, "zoran Babić", "BA", now, team_slug="criminal")
        ana = await insert_member(tx, 602, "Ana Zec", "BA", now, team_slug="criminal")
        await insert_member(tx, 603, "Émile Zola", "AL", now, team_slug="criminal")
        bojan = await insert_member(tx, 604, "Bojan Ilić", "RS", now, team_slug="criminal")
        gone = await insert_member(tx, 605, "Goran Gone", "RS", now, team_slug="criminal")
        erased = await insert_member(tx, 606, "Erased Person", "RS", now, team_slug="criminal")
    outcome = await bot.services.meetings.announce(spec(), created_by=ADMIN_ID)
    notice_id = outcome.notice_id
    assert notice_id is not None
    await bot.deliver()
    invitation = await invitation_of(bot, outcome.meeting.id, ana)
    assert (await bot.services.rsvp.answer(invitation, 602, Answer.IN_PERSON)).ok
    async with bot.services.db.transaction() as tx:
        bojan_ref = await tx.audit.ref_for(604, now)  # in the log
        goran_ref = await tx.audit.ref_for(605, now)
        await tx.members.delete(bojan)  # no longer members; their messages stay on record
        await tx.members.delete(gone)
    assert await bot.services.privacy.forget(606, requested_by=ADMIN_ID) and erased

    report = await bot.services.reports.proof(notice_id)
    assert report is not None
    assert [(row.country, row.name) for row in report.rows] == [
        ("AL", "Émile Zola"),
        ("BA", "Ana Zec"),  # names sorted regardless of case
        ("BA", "zoran Babić"),
        *sorted([("", bojan_ref), ("", goran_ref)], key=lambda r: r[1].casefold()),
    ]  # no longer members: last, named by their reference in the log; the person
    # forgotten is not listed, their messages were erased with them
    assert [row.member_id is not None for row in report.rows] == [True] * 3 + [False] * 2
    nameless = report.rows[-1]._replace(full_name=None, ref=None)
    assert nameless.name == f"Telegram {nameless.telegram_user_id}"
    answered = {row.name: row.answered_at for row in report.rows}
    assert answered["Ana Zec"] is not None
    assert [name for name, at in answered.items() if at is not None] == ["Ana Zec"]
    assert report.answered == 1 and report.delivered == len(report.rows) == 5
    made = await bot.services.exports.proof(notice_id, "Europe/Belgrade")
    assert made is not None
    text = made[0].content("csv").decode("utf-8-sig")
    assert text.index("Émile Zola") < text.index("Ana Zec") < text.index(report.rows[-1].name)


async def test_a_teams_answer_counts_for_its_members_the_lowest_team_first(
    bot: Harness,
) -> None:
    criminal = await bot.services.roster.create_team("Criminal matters", "criminal")
    civil = await bot.services.roster.create_team("Civil matters", "civil")
    now = bot.clock.now()
    async with bot.services.db.transaction() as tx:
        await insert_member(tx, 701, "Chair Criminal", "BA", now, team_slug="criminal")
        both = await insert_member(tx, 702, "In Both", "RS", now, team_slug="civil")
        await tx.teams.add_member(criminal.id, both, TeamRole.MEMBER, now)
        await insert_member(tx, 703, "Civil Only", "MK", now, team_slug="civil")
    request_id, notice_id, count = await bot.services.requests.create(
        request_spec(audience=Audience(teams=("criminal", "civil"))), created_by=ADMIN_ID
    )
    await bot.deliver()
    # The teams themselves owe answers too (as in an action plan), each answered once.
    by_criminal, by_civil = now - timedelta(hours=2), now - timedelta(hours=1)
    async with bot.services.db.transaction() as tx:
        await tx.responses.add_many(request_id, [f"team:{civil.id}", f"team:{criminal.id}"], now)
        for response in await tx.responses.of_requests([request_id]):
            when = {f"team:{criminal.id}": by_criminal, f"team:{civil.id}": by_civil}
            if response.party in when:
                await tx.responses.update(
                    response.id,
                    status=ResponseStatus.SUBMITTED.value,
                    answered_at=when[response.party],
                )
    await bot.services.requests.answer_choice(request_id, 703, 0)  # her own answer first
    report = await bot.services.reports.proof(notice_id)
    assert report is not None and len(report.rows) == count == 3
    answered = {row.name: row.answered_at for row in report.rows}
    assert criminal.id < civil.id
    assert answered["Chair Criminal"] == by_criminal
    assert answered["In Both"] == by_criminal  # the team with the lowest id
    assert answered["Civil Only"] == bot.clock.now()
