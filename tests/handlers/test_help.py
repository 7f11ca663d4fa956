"""`/help` and the answer to what no other handler took (handlers/help.py)."""

from __future__ import annotations

from tests.auxil.harness import Harness, Person
from tests.auxil.reading import t


async def test_unknown_command_and_help_for_a_visitor(bot: Harness) -> None:
    visitor = Person(502, "V", None, "tr")
    await bot.say(visitor, "/frobnicate")
    assert bot.last_text(visitor) == t(bot, "tr").gettext(
        "I do not know that command. Use /help to see what I can do."
    )
    await bot.say(visitor, "/help")
    text = bot.last_text(visitor)
    assert (
        "/start" in text
        and "/language" in text
        and "/invite" not in text
        and "/profile" not in text
    )
