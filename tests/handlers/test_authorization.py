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
from bot.domain.pending import Feature
from bot.domain.plan_specs import plan_spec
from bot.domain.requests import RequestSpec
from storage.schema import audit_log, invites, meetings, members, notices, requests
from tests.auxil.harness import Harness, Person
from tests.auxil.meetings import spec as meeting_spec
from tests.auxil.people import new_invite, register, setup_team
from tests.auxil.reading import count, t
from tests.conftest import ADMIN_ID

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


# -- numbers as people type them, and as forged buttons carry them -----------------------------


@pytest.mark.parametrize(
    ("command", "usage"),
    [
        ("/status", "Usage: /status NUMBER (see /meetings)."),
        (
            "/export",
            "Usage: /export NUMBER for a meeting, /export request NUMBER, /export plan NUMBER.",
        ),
        ("/editmeeting", "Usage: /editmeeting NUMBER (see /meetings)."),
        ("/proof", "Usage: /proof NUMBER, the number of a notice (see /status of a meeting)."),
        ("/plan", "Usage: /plan, or /plan NUMBER for one plan."),
        ("/revoke", "Usage: /revoke NUMBER (the member's number from /members)."),
    ],
)
async def test_numbers_that_are_not_row_numbers_get_a_clear_answer(
    bot: Harness, command: str, usage: str
) -> None:
    await world(bot)
    before = await snapshot(bot)
    for value in ("²", "99999999999999999999", "2147483648", "٣", "-1", "0"):
        sent = len(bot.api.calls)
        await bot.say(ADMIN, f"{command} {value}")
        replies = [c.text for c in bot.api.calls[sent:]]
        assert replies == [f"“{value}” is not a valid number.\n\n{usage}"], (command, value)
    sent = len(bot.api.calls)
    await bot.say(ADMIN, f"{command} #2147483647")  # the largest row number: no such row
    assert [c.text for c in bot.api.calls[sent:]] != []
    assert all("went wrong" not in c.text for c in bot.api.calls[sent:])
    assert await snapshot(bot) == before


@pytest.mark.parametrize(
    "data",
    [
        "rq:999999999999:v",
        "rq:999999999999:o:0",
        "rqs:999999999999",
        "rqf:999999999999",
        "rsvp:999999999999:p",
        "rsvc:999999999999",
        "rsvs:999999999999",
        "rsvs:1:999999999999:1",
        "ics:999999999999",
        "ack:999999999999",
        "appr:999999999999:a",
        "mtgc:999999999999",
        "plan:999999999999",
        "rvk:999999999999",
        "rq:²:v",
    ],
)
async def test_buttons_with_numbers_no_row_can_have_are_refused(bot: Harness, data: str) -> None:
    await world(bot)
    before = await snapshot(bot)
    for person in (MEMBER, ADMIN):
        sent = len(bot.api.calls)
        await bot.press(person, data)
        new = bot.api.calls[sent:]
        assert [c.method for c in new] == ["answerCallbackQuery"], (data, person)
        assert new[0].params.get("show_alert") is True
    assert await snapshot(bot) == before


async def test_forget_yes_without_a_forget_deletes_nothing(bot: Harness) -> None:
    await world(bot)
    reader = t(bot, "bg")
    refusal = reader.gettext(
        "This confirmation is no longer valid: nothing was deleted. Send /forget "
        "again if you want your data deleted."
    )
    # A "yes" pressed on any message, forged, or from a /forget of another day.
    stamp = int(bot.clock.now().timestamp())
    for data in ("forget:yes", f"forget:yes:{stamp}", "forget:yes:99999999999"):
        await bot.press(MEMBER, data)
        assert bot.alerts()[-1] == refusal
    assert (await bot.services.roster.principal(MEMBER.id)).is_active_member
    # The "yes" of a /forget asked 20 minutes ago is too old.
    await bot.say(MEMBER, "/forget")
    yes = bot.last_buttons(MEMBER)[0][1]
    bot.clock.advance(timedelta(minutes=20))
    await bot.press(MEMBER, yes)
    assert bot.alerts()[-1] == refusal
    assert (await bot.services.roster.principal(MEMBER.id)).is_active_member
    # A /forget, then another command that waits for typed text: the question is gone.
    await bot.say(MEMBER, "/forget")
    yes = bot.last_buttons(MEMBER)[0][1]
    await bot.services.pending.ask(MEMBER.id, Feature.PROFILE, subject="institution")
    await bot.press(MEMBER, yes)
    assert bot.alerts()[-1] == refusal
    assert (await bot.services.roster.principal(MEMBER.id)).is_active_member
    # The "yes" of the /forget just asked deletes.
    await bot.say(MEMBER, "/forget")
    await bot.press(MEMBER, bot.last_buttons(MEMBER)[0][1])
    assert bot.last_text(MEMBER) == reader.gettext(
        "Your data has been deleted. If you are invited again, you can register with a "
        "new invitation link."
    )
    assert (await bot.services.roster.principal(MEMBER.id)).member is None
