"""A meeting announced to the delegation of tests/auxil/people.py, and its invitations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.meetings import MeetingSpec
from bot.domain.models import Audience, MeetingMode
from tests.auxil.fake_bot_api import UploadedFile
from tests.auxil.harness import Harness, Person
from tests.auxil.people import member_id
from tests.conftest import ADMIN_ID

START = datetime(2026, 12, 10, 8, 30, tzinfo=UTC)  # 09:30 in Belgrade, 12:30 in Tbilisi


def spec(**changes: object) -> MeetingSpec:
    """A hybrid meeting in Belgrade for the team "criminal"; `changes` replace fields."""
    values: dict[str, object] = {
        "title": "Technical meeting on mutual legal assistance",
        "description": "Second meeting of the regional expert team.",
        "agenda": "1. Opening\n2. Action plan",
        "starts_at": START,
        "ends_at": START + timedelta(hours=7),
        "timezone": "Europe/Belgrade",
        "mode": MeetingMode.HYBRID,
        "venue": "Palace of Justice",
        "city": "Belgrade",
        "host_country": "RS",
        "online_url": "https://meet.example.org/mla",
        "rsvp_deadline": datetime(2026, 12, 1, 16, 0, tzinfo=UTC),
        "audience": Audience(teams=("criminal",)),
        "tentative": True,
        "ask_comment": True,
    }
    values.update(changes)
    return MeetingSpec(**values)  # type: ignore[arg-type]


async def announce(bot: Harness, **changes: object) -> int:
    """Announce `spec(**changes)` and deliver the invitations; the meeting's id."""
    outcome = await bot.services.meetings.announce(spec(**changes), created_by=ADMIN_ID)
    await bot.deliver()
    return outcome.meeting.id


async def invitation_of(bot: Harness, meeting_id: int, member_id: int) -> int:
    async with bot.services.db.transaction() as tx:
        found = await tx.invitations.of(meeting_id, member_id)
    assert found is not None
    return found.id


async def answer_of(bot: Harness, meeting_id: int, member_id: int) -> tuple[object, bool]:
    async with bot.services.db.transaction() as tx:
        found = await tx.invitations.of(meeting_id, member_id)
    assert found is not None
    return found.answer, found.needs_confirmation


async def invitation(bot: Harness, meeting_id: int, person: Person) -> int:
    """The id of `person`'s invitation to the meeting."""
    member = await member_id(bot, person)
    async with bot.services.db.transaction() as tx:
        found = await tx.invitations.of(meeting_id, member)
    assert found is not None
    return found.id


def file_bytes(value: object) -> bytes:
    """The content of a file the bot uploaded (a calendar file, an export)."""
    assert isinstance(value, UploadedFile), value
    return value.content
