"""Action plans (handlers/plans.py): recurring obligations and `/plan`; through the real
Application, with an injected clock and no sleeping, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.plan_specs import plan_spec
from bot.domain.request_models import ResponseStatus
from tests.auxil.harness import Harness, Person
from tests.auxil.people import ADMIN, ANA, ELENA, MARKO, add_member, delegation, focal_point
from tests.auxil.reading import shown, t
from tests.auxil.requests import BELGRADE, reminders_to, run_until

# -- action plans ------------------------------------------------------------------------------------


PLAN = {
    "slug": "ocp-2027",
    "title": "Action plan 2027",
    "timezone": "Europe/Belgrade",
    "items": [
        {
            "ref": "2.1",
            "title": "Report on cases of mutual legal assistance",
            "responsible": ["RS", "MK"],
            "every": "FREQ=MONTHLY;BYMONTHDAY=10",
            "answer": "text",
            "remind": "1d",
        },
        {
            "ref": "3.4",
            "title": "Nominate a contact point",
            "responsible": {"teams": ["criminal"]},
            "deadline": "2027-03-01",
            "answer": "text",
        },
    ],
}


async def test_an_rrule_obligation_across_two_occurrences(bot: Harness) -> None:
    await delegation(bot)
    await focal_point(bot, ELENA, "MK", "mk")
    spec = plan_spec(PLAN, bot.clock.now(), "Europe/Belgrade")
    result = await bot.services.plans.import_plan(spec)
    assert (result.created, result.obligations) == (2, 2)
    first_due = datetime(2026, 12, 10, 23, 59, tzinfo=BELGRADE)
    report = await bot.services.plans.report(result.plan_id)
    assert report is not None
    first = report.items[0].occurrences[0].request
    assert first.deadline == first_due and first.accept_late
    # The team item is owed once by the team: any member may answer it.
    assert [r.party for r in report.items[1].occurrences[0].responses] == ["team:1"]
    team_status = report.items[1].occurrences[0]
    async with bot.services.db.transaction() as tx:
        team_members = (await tx.audience.answerers(["team:1"]))["team:1"]
    assert team_status.answerers == {"team:1": len(team_members)} and team_members
    assert team_status.team_names == {1: (await bot.services.roster.teams())[0].name}

    # 1 day before 23:59 is night: the reminder comes at 08:00 on the last day.
    await run_until(bot, first_due - timedelta(hours=12))
    reader = t(bot, "sr_Cyrl")
    reminder = reminders_to(bot, ANA, "⏰")[-1]
    assert (
        reader.gettext("Action plan “{plan}”, item {ref}", plan="Action plan 2027", ref="2.1")
        in reminder
    )
    await bot.press(ANA, f"rq:{first.id}:t")
    await bot.say(ANA, "12 requests sent, 9 received in November.")

    # The deadline passes: the next occurrence appears; North Macedonia is overdue.
    # (The focal point is told at 08:00: the deadline is at midnight, in quiet hours.)
    await run_until(bot, first_due + timedelta(minutes=1))
    assert not bot.api.sent(ELENA.id)
    await run_until(bot, first_due + timedelta(hours=9))
    report = await bot.services.plans.report(result.plan_id)
    assert report is not None
    occurrences = report.items[0].occurrences
    assert [o.request.deadline for o in occurrences] == [
        first_due,
        datetime(2027, 1, 10, 23, 59, tzinfo=BELGRADE),
    ]
    statuses = {r.party: r.status for r in occurrences[0].responses}
    assert statuses == {
        "country:MK": ResponseStatus.PENDING,
        "country:RS": ResponseStatus.SUBMITTED,
    }
    assert "⚠️" in bot.api.last(ELENA.id).text
    # A week later, the past-due reminder; Marko then submits, marked late.
    await run_until(bot, first_due + timedelta(days=7, hours=12))
    assert reminders_to(bot, MARKO, "⚠️")
    await bot.press(MARKO, f"rq:{first.id}:t")
    await bot.say(MARKO, "Report attached below.")
    second = occurrences[1].request
    await bot.press(ANA, f"rq:{second.id}:t")
    await bot.say(ANA, "December: 7 requests.")
    await bot.say(ADMIN, f"/plan {result.plan_id}")
    status = bot.last_text(ADMIN)
    assert "2.1. Report on cases of mutual legal assistance" in status
    assert (
        "⌛ North Macedonia" in status and "✅ Serbia" in status and "⏳ North Macedonia" in status
    )
    report = await bot.services.plans.report(result.plan_id)
    assert report is not None
    assert report.items[0].occurrences[0].responses[0].status is ResponseStatus.LATE


# -- names with "&" and "<": every view reaches Telegram and reads them once -------------------


EMIR = Person(603, "Emir", "Hodžić", "en")  # Sarajevo; reads English


async def test_an_action_plan_of_police_and_justice_reads_right(bot: Harness) -> None:
    await bot.services.roster.create_team("Police & Justice", "police")
    await bot.say(ADMIN, "/start")
    await add_member(bot, EMIR, "BA", "en", "Europe/Sarajevo", team="police")
    plan = {
        "slug": "mla-2027",
        "title": "MLA & extradition 2027",
        "timezone": "Europe/Belgrade",
        "items": [
            {
                "ref": "1.1",
                "title": "Statistics <annual> & trends",
                "responsible": {"teams": ["police"], "countries": ["BA"]},
                "deadline": "2027-03-01",
                "answer": "text",
            },
        ],
    }
    result = await bot.services.plans.import_plan(
        plan_spec(plan, bot.clock.now(), "Europe/Belgrade")
    )
    await bot.say(ADMIN, f"/plan {result.plan_id}")
    status = shown(bot.last_text(ADMIN))
    assert "Action plan #1: MLA & extradition 2027" in status
    assert "1.1. Statistics <annual> & trends" in status
    assert "⏳ Police & Justice" in status and "⏳ Bosnia & Herzegovina" in status
    assert "&amp;" not in status
