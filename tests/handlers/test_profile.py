"""`/profile` (handlers/profile.py): a member sees and corrects what Convene holds about them."""

from __future__ import annotations

from tests.auxil.harness import Harness
from tests.auxil.people import MEMBER, registered
from tests.auxil.reading import t


async def test_profile_shows_and_edits_fields(bot: Harness) -> None:
    await registered(bot)
    await bot.say(MEMBER, "/profile")
    profile = bot.last_text(MEMBER)
    assert (
        "Elena Popescu" in profile
        and "Ministry of Justice" in profile
        and "Europe/Bucharest" in profile
    )
    assert ("prof:institution") in [data for _, data in bot.last_buttons(MEMBER)]
    await bot.press(MEMBER, "prof:institution")
    await bot.say(MEMBER, "x")
    assert bot.last_text(MEMBER) == t(bot, "ro").gettext("That is too short. Please try again.")
    await bot.say(MEMBER, "Prosecutor's Office attached to the High Court")
    assert "Prosecutor's Office attached to the High Court" in bot.last_text(MEMBER)
    await bot.press(MEMBER, "prof:email")
    await bot.say(MEMBER, "elena@example.ro")
    await bot.press(MEMBER, "prof:email")
    await bot.say(MEMBER, "-")
    principal = await bot.services.roster.principal(MEMBER.id)
    assert principal.member is not None
    assert principal.member.institution == "Prosecutor's Office attached to the High Court"
    assert principal.member.email is None
