"""Every admin command and button, tried by people without the role; and what focal
points and team chairs see: their country, their team, nothing more."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from bot.domain.access import commands_for
from bot.domain.models import Approval, Audience, MemberStatus, Role, TeamRole
from bot.domain.plans import plan_spec
from bot.domain.requests import RequestSpec
from storage.schema import audit_log, invites, meetings, members, notices, requests
from tests.auxil.harness import Harness, Person
from tests.conftest import ADMIN_ID
from tests.handlers.test_meetings import spec as meeting_spec
from tests.handlers.test_onboarding import count, new_invite, register, setup_team, t

ADMIN = Person(ADMIN_ID, "Dragana", "Stojanović", "en")
MEMBER = Person(400, "Teodora", "Teodorović", "bg")
STRANGER = Person(401, "Random", None, "uk")
SERB = Person(402, "Srđan", "Savić", "sr")
MACEDONIAN = Person(403, "Marija", "Markovska", "mk")
FOCAL_RS = Person(404, "Jelena", "Jović", "sr")

ADMIN_COMMANDS = [
    "/invite criminal",
    "/revoke 1",
    "/newmeeting",
    "/editmeeting 1",
    "/cancelmeeting 1",
    "/announce team=criminal",
    "/audit",
    "/proof 1",
    # Views that focal points and chairs get for their part; nobody else.
    "/members",
    "/status 1",
    "/export 1",
    "/export request 1",
    "/export plan 1",
    "/plan",
    "/plan 1",
]
ADMIN_BUTTONS = [
    "mtg:mode:online",
    "mtg:skip:description",
    "mtgc:1:yes",
    "ann:send",
    "rqs:1",
    "plan:1",
    "rvk:1",
]


async def world(bot: Harness) -> None:
    """A team, a member of it, a meeting, an announcement, a request and a plan."""
    services = bot.services
    await setup_team(bot)
    await bot.say(ADMIN, "/start")
    await register(bot, MEMBER, await new_invite(bot), "bg", country="BG")
    await services.meetings.announce(
        meeting_spec(audience=Audience(teams=("criminal",))), created_by=ADMIN_ID
    )
    await services.requests.create(
        RequestSpec(
            title="Statistics",
            body="",
            deadline=services.clock.now() + timedelta(days=5),
            timezone="Europe/Belgrade",
            audience=Audience(countries=("BG",)),
        ),
        created_by=ADMIN_ID,
    )
    await services.plans.import_plan(
        plan_spec(
            {
                "slug": "p",
                "items": [
                    {"ref": "1", "title": "Report", "responsible": "BG", "every": "semester"}
                ],
            },
            services.clock.now(),
            "Europe/Belgrade",
        )
    )
    await bot.deliver()


async def snapshot(bot: Harness) -> tuple[int, ...]:
    async with bot.services.db.engine.connect() as connection:
        cancelled = (
            await connection.execute(
                sa.select(sa.func.count())
                .select_from(meetings)
                .where(meetings.c.status != "announced")
            )
        ).scalar_one()
    return (
        await count(bot, invites),
        await count(bot, meetings),
        cancelled,
        await count(bot, notices),
        await count(bot, requests),
        await count(bot, members),
    )


@pytest.mark.parametrize("command", ADMIN_COMMANDS)
async def test_admin_commands_are_refused_to_members_and_strangers(
    bot: Harness, command: str
) -> None:
    await world(bot)
    before = await snapshot(bot)
    for person, locale in ((MEMBER, "bg"), (STRANGER, "uk")):
        sent = len(bot.api.calls)
        await bot.say(person, command)
        new = [c for c in bot.api.calls[sent:] if c.method != "answerCallbackQuery"]
        assert [c.text for c in new] == [
            t(bot, locale).gettext("You are not allowed to use this command.")
        ], command
    assert await snapshot(bot) == before
    # No export left the building either (the member's only file is their calendar file).
    files = [
        c.params["document"].filename
        for c in bot.api.of("sendDocument")
        if c.chat_id in (MEMBER.id, STRANGER.id)
    ]
    assert all(name.endswith(".ics") for name in files)


@pytest.mark.parametrize("data", ADMIN_BUTTONS)
async def test_admin_buttons_are_refused_to_members_and_strangers(bot: Harness, data: str) -> None:
    await world(bot)
    before = await snapshot(bot)
    for person, locale in ((MEMBER, "bg"), (STRANGER, "uk")):
        sent = len(bot.api.calls)
        await bot.press(person, data)
        new = bot.api.calls[sent:]
        assert [c.method for c in new] == ["answerCallbackQuery"], data
        assert new[0].params["text"] == t(bot, locale).gettext(
            "You are not allowed to use this command."
        )
    assert await snapshot(bot) == before


async def test_approval_buttons_are_refused_to_those_who_may_not_decide(bot: Harness) -> None:
    await setup_team(bot)
    await bot.say(ADMIN, "/start")
    await register(bot, SERB, await new_invite(bot, approval=Approval.MANUAL), "sr_Latn")
    principal = await bot.services.roster.principal(SERB.id)
    assert principal.member is not None
    await bot.services.roster.grant(MACEDONIAN.id, Role.FOCAL_POINT, "MK")
    await bot.say(MACEDONIAN, "/start")
    for person, locale in ((MEMBER, "bg"), (STRANGER, "uk"), (MACEDONIAN, "mk")):
        await bot.press(person, f"appr:{principal.member.id}:a")
        assert bot.alerts()[-1] == t(bot, locale).gettext("You are not allowed to do this.")
    still = await bot.services.roster.principal(SERB.id)
    assert still.member is not None and still.member.status is MemberStatus.PENDING


async def test_a_role_withdrawn_a_moment_ago_counts(bot: Harness) -> None:
    await world(bot)
    await bot.services.roster.grant(STRANGER.id, Role.ADMIN)
    await bot.say(STRANGER, "/audit")
    assert bot.api.last(STRANGER.id, "sendDocument")
    await bot.services.roster.withdraw(STRANGER.id, Role.ADMIN)
    await bot.say(STRANGER, "/audit")
    assert bot.last_text(STRANGER) == t(bot, "uk").gettext(
        "You are not allowed to use this command."
    )


async def test_focal_points_and_chairs_see_only_their_country_and_team(bot: Harness) -> None:
    services = bot.services
    await setup_team(bot)
    await services.roster.create_team("Executive board", "board")
    await bot.say(ADMIN, "/start")
    await register(bot, SERB, await new_invite(bot), "sr_Latn", country="RS")
    board = await services.invites.create(
        team_slugs=["board"], approval=Approval.AUTO, team_role=TeamRole.CHAIR
    )
    await register(bot, MACEDONIAN, board.token, "mk", country="MK")  # chairs the board
    await services.roster.grant(FOCAL_RS.id, Role.FOCAL_POINT, "RS")
    await bot.say(FOCAL_RS, "/start")
    meeting = await services.meetings.announce(
        meeting_spec(audience=Audience(teams=("criminal",))), created_by=ADMIN_ID
    )
    await bot.deliver()
    number = meeting.meeting.id

    await bot.say(FOCAL_RS, f"/status {number}")
    status = bot.last_text(FOCAL_RS)
    assert "Srđan Savić" in status and "Marija" not in status
    await bot.say(FOCAL_RS, f"/export {number}")
    workbook = load_workbook(
        io.BytesIO(bot.api.last(FOCAL_RS.id, "sendDocument").params["document"].content)
    )
    names = [row[1] for row in list(workbook["Attendance"].values)[1:]]
    assert names == ["Srđan Savić"]
    await bot.say(FOCAL_RS, "/members")
    assert "Srđan Savić" in bot.last_text(FOCAL_RS) and "Marija" not in bot.last_text(FOCAL_RS)
    # The chair of the board: the meeting is for the criminal-matters team, not theirs.
    await bot.say(MACEDONIAN, f"/status {number}")
    assert bot.last_text(MACEDONIAN) == t(bot, "mk").gettext(
        "There is no meeting #{number}.", number=str(number)
    )
    await bot.say(MACEDONIAN, "/members team=board")
    assert "Marija Markovska" in bot.last_text(MACEDONIAN)
    await bot.say(MACEDONIAN, "/members")
    assert "Srđan" not in bot.last_text(MACEDONIAN)
    # A request to both countries: each sees their own party.
    request_id, _, _ = await services.requests.create(
        RequestSpec(
            title="Statistics",
            body="",
            deadline=services.clock.now() + timedelta(days=5),
            timezone="Europe/Belgrade",
            audience=Audience(countries=("RS", "MK")),
        ),
        created_by=ADMIN_ID,
    )
    await bot.press(FOCAL_RS, f"rqs:{request_id}")
    reader = t(bot, "sr_Cyrl")
    seen = bot.last_text(FOCAL_RS)
    assert reader.country("RS") in seen and reader.country("MK") not in seen
    assert "0 од 1" in seen  # one party of the two is theirs
    # Still no secretariat powers.
    for command in ("/newmeeting", "/audit", f"/proof {meeting.notice_id}", "/invite criminal"):
        await bot.say(FOCAL_RS, command)
        assert bot.last_text(FOCAL_RS) == t(bot, "sr_Cyrl").gettext(
            "You are not allowed to use this command."
        )
    # Their menus offer the views they have.
    for person in (FOCAL_RS, MACEDONIAN):
        offered = commands_for(await services.roster.principal(person.id))
        assert {"status", "export", "members", "plan"} <= set(offered)
        assert not {"newmeeting", "audit", "proof", "invite"} & set(offered)
    async with services.db.engine.connect() as connection:
        exports = (
            await connection.execute(
                sa.select(sa.func.count())
                .select_from(audit_log)
                .where(audit_log.c.action == "export")
            )
        ).scalar_one()
    assert exports == 1  # the focal point's export is on the record
