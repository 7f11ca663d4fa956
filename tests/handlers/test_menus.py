"""Command menus (handlers/menus.py): each person's menu, in their language, through the
real Application, on SQLite and PostgreSQL."""

from __future__ import annotations

from handlers.menus import MENU_VERSION
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


async def test_an_interrupted_menu_refresh_resumes_where_it_stopped(bot: Harness) -> None:
    ids = await delegation(bot)
    done = sorted(ids.values())[:2]  # the first two had their menus before the restart
    async with bot.services.db.transaction() as tx:
        await tx.meta.set("menu_version", "1")
        await tx.meta.set(f"menu_refresh_after:{MENU_VERSION}", str(done[-1]))
    await bot.stop()
    bot.api.calls.clear()
    restarted = await Harness(bot.settings, bot.clock, bot.api).start()
    try:
        assert restarted.app is not None
        await restarted.app.bot_data.menu_refresh
        async with restarted.services.db.transaction() as tx:
            chats = {m: (await tx.members.get(m)).chat_id for m in ids.values()}  # type: ignore[union-attr]
        refreshed = {
            c.params["scope"]["chat_id"]
            for c in bot.api.of("setMyCommands")
            if c.params.get("scope", {}).get("type") == "chat"
        }
        assert refreshed >= {chats[m] for m in ids.values() if m not in done}
        assert not refreshed & {chats[m] for m in done}
        assert await restarted.services.roster.meta("menu_version") == MENU_VERSION
    finally:
        await restarted.stop()
        await bot.start()
