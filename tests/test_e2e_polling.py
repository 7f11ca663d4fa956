"""End to end: the bot as its own process, long-polling a Bot API fake over HTTP on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.domain.clock import SystemClock
from bot.domain.invites import Invites
from bot.domain.models import Approval, MemberStatus
from bot.domain.roster import Roster
from bot.services import planner_for
from storage.db import Database
from tests.auxil.fake_bot_api import FakeBotApi, serve
from tests.auxil.harness import Person, callback_update, message_update
from tests.auxil.process import bot_process, until


@pytest.fixture
async def fake_api() -> AsyncIterator[tuple[FakeBotApi, str]]:
    api = FakeBotApi()
    runner, url = await serve(api)
    yield api, url
    await runner.cleanup()


async def test_registration_against_a_bot_api_over_http(
    fake_api: tuple[FakeBotApi, str], database_url: str, tmp_path: Path
) -> None:
    api, url = fake_api
    db = Database(database_url)
    await db.upgrade()
    await Roster(db, SystemClock()).create_team("Executive board", "board")
    token = (
        await Invites(db, SystemClock()).create(team_slugs=["board"], approval=Approval.AUTO)
    ).token
    await db.close()

    person = Person(8080, "Ελένη", "Παπαδοπούλου", "el")
    async with bot_process(url, database_url, tmp_path):

        async def step(update: dict[str, object], what: str) -> None:
            sent = len(api.sent(person.id))
            api.push_update(update)
            await until(lambda: len(api.sent(person.id)) > sent, what)

        await step(message_update(person, f"/start {token}"), "the greeting")
        assert "• Ελληνικά" in [label for label, _ in api.last(person.id).buttons]
        await step(callback_update(person, "reg:lang:el"), "the privacy notice")
        await step(callback_update(person, "reg:consent:yes"), "the name question")
        await step(callback_update(person, "reg:name:keep"), "the country question")
        await step(callback_update(person, "reg:country:GR"), "the institution question")
        await step(message_update(person, "Hellenic Police"), "the position question")
        await step(message_update(person, "Liaison officer"), "the e-mail question")
        await step(callback_update(person, "reg:email:skip"), "the time zone question")
        assert "Europe/Athens" in api.last(person.id).text
        await step(callback_update(person, "reg:tz:keep"), "the summary")
        await step(callback_update(person, "reg:submit"), "the welcome")
        assert "Executive board" in api.last(person.id).text
    assert "getMe" in [c.method for c in api.calls]

    db = Database(database_url)
    principal = await Roster(db, SystemClock()).principal(person.id)
    await db.close()
    assert principal.member is not None
    assert principal.member.status is MemberStatus.ACTIVE
    assert principal.member.locale == "el"
    assert principal.member.institution == "Hellenic Police"


async def test_a_meeting_queued_by_the_cli_is_delivered_and_answered(
    fake_api: tuple[FakeBotApi, str], database_url: str, tmp_path: Path
) -> None:
    """The delivery worker of a running bot finds rows another process queued, and sends."""
    from datetime import timedelta

    from bot.domain.meetings import Meetings, MeetingSpec
    from bot.domain.models import Audience, MeetingMode, TeamRole

    api, url = fake_api
    person = Person(9090, "Mirela", "Popescu", "ro")
    db = Database(database_url)
    await db.upgrade()
    clock = SystemClock()
    team = await Roster(db, clock).create_team("Executive board", "board")
    now = clock.now()
    async with db.transaction() as tx:
        await tx.accounts.ensure(person.id, person.id, now)
        await tx.accounts.set_preferences(person.id, now, locale="ro", timezone="Europe/Bucharest")
        member_id = await tx.members.create(
            now=now,
            telegram_user_id=person.id,
            full_name="Mirela Popescu",
            country="RO",
            institution="DIICOT",
            position="Prosecutor",
            email=None,
            status=MemberStatus.ACTIVE.value,
            consent_version="1",
            consent_at=now,
        )
        await tx.teams.add_member(team.id, member_id, TeamRole.MEMBER, now)

    try:
        async with bot_process(url, database_url, tmp_path):
            await until(lambda: "getMe" in [c.method for c in api.calls], "the bot to start")
            start = now + timedelta(days=20)
            outcome = await Meetings(db, clock, planner_for(Settings.parse({}))).announce(
                MeetingSpec(
                    title="Executive board, 12th meeting",
                    starts_at=start,
                    ends_at=start + timedelta(hours=3),
                    timezone="Europe/Bucharest",
                    mode=MeetingMode.ONLINE,
                    online_url="https://meet.example.org/board",
                    rsvp_deadline=start - timedelta(days=3),
                    audience=Audience(teams=("board",)),
                ),
                created_by=None,
            )
            await until(lambda: bool(api.sent(person.id, "sendDocument")), "the invitation")
            card = api.sent(person.id)[-1]
            assert "Executive board, 12th meeting" in card.text and "Europe/Bucharest" in card.text
            async with db.transaction() as tx:
                invitation = await tx.invitations.of(outcome.meeting.id, member_id)
            assert invitation is not None
            assert (f"rsvp:{invitation.id}:o") in [data for _, data in card.buttons]
            api.push_update(callback_update(person, f"rsvp:{invitation.id}:o"))
            await until(lambda: bool(api.of("editMessageText")), "the redrawn card")
            async with db.transaction() as tx:
                answered = await tx.invitations.of(outcome.meeting.id, member_id)
            assert answered is not None and answered.answer is not None
            assert answered.answer.value == "online"
    finally:
        await db.close()
