"""`/invite` (handlers/invites.py): a link that works, and bad options refused with the usage."""

from __future__ import annotations

import pytest

from storage.schema import invites
from tests.auxil.harness import Harness, Person
from tests.auxil.people import ADMIN, register, setup_team
from tests.auxil.reading import count


async def test_invite_command_creates_a_working_link(bot: Harness) -> None:
    await setup_team(bot)
    await bot.say(ADMIN, "/invite")
    assert "Usage: /invite" in bot.last_text(ADMIN) and "criminal" in bot.last_text(ADMIN)
    await bot.say(
        ADMIN, "/invite criminal country=mk uses=3 expires=2w approval=auto role=observer"
    )
    text = bot.last_text(ADMIN)
    assert "https://t.me/convene_test_bot?start=" in text
    assert "North Macedonia" in text and "3" in text
    token = text.split("start=")[1].split()[0]
    assert len(token) <= 64
    person = Person(410, "Ana", "Anevska", "mk")
    await register(bot, person, token, "mk", country=None)
    principal = await bot.services.roster.principal(person.id)
    assert principal.member is not None
    assert principal.member.country == "MK"  # fixed by the link: no country question
    assert principal.member.timezone == "Europe/Skopje"
    teams = await bot.services.roster.teams_of(principal.member.id)
    assert [role for _, role in teams] == ["observer"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("nosuchteam", "There is no team “nosuchteam”."),
        ("criminal country=XX", "“XX” is not a two-letter ISO country code."),
        ("criminal uses=0", "The number of uses must be between 1 and 10000."),
        ("criminal uses=many", "The number of uses must be between 1 and 10000."),
        ("criminal expires=tomorrow", "The expiry must be like 12h, 7d or 2w, and at most a year."),
        ("criminal expires=900d", "The expiry must be like 12h, 7d or 2w, and at most a year."),
        ("criminal colour=red", "Unknown option “colour”."),
        ("criminal approval=maybe", "Unknown option “maybe”."),
    ],
)
async def test_invite_command_rejects_bad_input(bot: Harness, args: str, expected: str) -> None:
    await setup_team(bot)
    await bot.say(ADMIN, f"/invite {args}")
    assert bot.last_text(ADMIN).startswith(expected)
    assert await count(bot, invites) == 0
