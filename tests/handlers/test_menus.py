"""Command menus (handlers/menus.py): each person's menu, in their language, through the
real Application, on SQLite and PostgreSQL."""

from __future__ import annotations

from tests.auxil.harness import Harness
from tests.auxil.people import GIORGI, delegation
from tests.auxil.reading import t


async def test_members_approved_before_an_upgrade_get_the_new_menu(bot: Harness) -> None:
    await delegation(bot)
    async with bot.services.db.transaction() as tx:
        await tx.meta.set("menu_version", "1")  # as an older Convene left it
    await bot.stop()
    restarted = await Harness(bot.settings, bot.clock, bot.api).start()
    try:
        assert restarted.app is not None
        await restarted.app.bot_data.menu_refresh
        menu = [
            c
            for c in bot.api.of("setMyCommands")
            if c.params.get("scope", {}).get("chat_id") == GIORGI.id
        ]
        assert "meetings" in [c["command"] for c in menu[-1].params["commands"]]
        assert menu[-1].params["commands"][0]["description"] == t(bot, "ka").pgettext(
            "command", "Start or continue your registration"
        )
        assert await restarted.services.roster.meta("menu_version") != "1"
    finally:
        await restarted.stop()
        await bot.start()
