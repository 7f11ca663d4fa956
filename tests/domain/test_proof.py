"""Proof of notification (bot/domain/proof.py): one row per recipient, with when what the
notice asked was answered, read in a constant number of queries."""

from __future__ import annotations

from bot.domain.models import Audience
from tests.auxil.data import insert_member
from tests.auxil.harness import Harness
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
