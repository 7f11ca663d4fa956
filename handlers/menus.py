"""Command menus: each person sees only the commands they may use, in their language.

Telegram shows the most specific menu it has: one set for a chat (members,
focal points, admins, in the language they chose) over the per-language
default (newcomers). Montenegrin and Serbian Latin have no two-letter code, so
their readers get the default menu until they register and get their own.
"""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from bot.domain.access import Principal, commands_for
from bot.i18n import LANGUAGES, I18n, Translator
from bot.services import Services

logger = logging.getLogger(__name__)


def describe(t: Translator, command: str) -> str:
    descriptions = {
        "start": t.pgettext("command", "Start or continue your registration"),
        "help": t.pgettext("command", "What this bot can do"),
        "language": t.pgettext("command", "Change your language"),
        "timezone": t.pgettext("command", "Change your time zone"),
        "profile": t.pgettext("command", "View and edit your profile"),
        "invite": t.pgettext("command", "Create an invitation link"),
        "members": t.pgettext("command", "List members"),
        "pending": t.pgettext("command", "Registrations waiting for approval"),
        "revoke": t.pgettext("command", "Withdraw a member's access"),
        "meetings": t.pgettext("command", "Your upcoming meetings and answers"),
        "newmeeting": t.pgettext("command", "Announce a new meeting"),
        "editmeeting": t.pgettext("command", "Change a meeting"),
        "cancelmeeting": t.pgettext("command", "Cancel a meeting"),
        "status": t.pgettext("command", "Answers and deliveries of a meeting"),
        "export": t.pgettext("command", "Export a meeting, request or plan (CSV, XLSX)"),
        "announce": t.pgettext("command", "Send an announcement"),
        "requests": t.pgettext("command", "Requests and reports you must answer"),
        "plan": t.pgettext("command", "Action plans and their obligations"),
        "mydata": t.pgettext("command", "Get a copy of your data"),
        "forget": t.pgettext("command", "Delete your data"),
        "audit": t.pgettext("command", "The audit log, as CSV and XLSX"),
        "proof": t.pgettext("command", "Proof of notification of a notice"),
        "cancel": t.pgettext("command", "Stop what you are writing"),
    }
    return descriptions[command]


def bot_commands(t: Translator, commands: list[str]) -> list[BotCommand]:
    return [BotCommand(command, describe(t, command)) for command in commands]


async def set_default_menus(bot: Bot, i18n: I18n) -> None:
    """The newcomers' menu, once per language Telegram can address."""
    visitor = commands_for(None)
    await bot.set_my_commands(bot_commands(i18n.translator(None), visitor))
    for language in LANGUAGES:
        if language.telegram_code:
            await bot.set_my_commands(
                bot_commands(i18n.translator(language.code), visitor),
                language_code=language.telegram_code,
            )


async def set_chat_menu(bot: Bot, t: Translator, chat_id: int, principal: Principal | None) -> None:
    """The menu of one person's private chat, for their roles, in their language."""
    try:
        commands = commands_for(principal)
        scope = BotCommandScopeChat(chat_id)
        if principal is None or commands == commands_for(None):
            await bot.delete_my_commands(scope=scope)
        else:
            await bot.set_my_commands(bot_commands(t, commands), scope=scope)
    except TelegramError:
        # A menu is a convenience: never let it fail the action that triggered it.
        logger.warning("Could not set a chat's command menu", exc_info=True)


# Bump when the commands a role sees change: each member's own menu is set when they are
# approved, so a new command (as /meetings was) reaches existing members only through this.
MENU_VERSION = "4"  # 3: /requests and /plan; 4: /mydata, /forget, /audit, /proof


# Members whose menus are set between two records of the progress.
MENU_PAGE = 200


async def refresh_member_menus(bot: Bot, services: Services) -> None:
    """Once per MENU_VERSION, set every active member's menu again, in their language.

    Runs in the background after start-up (the interactive lane paces it), a page of
    members at a time: memory does not grow with the roster, and the last member done is
    recorded after each page, so a refresh interrupted by a restart resumes there. The
    version is recorded when all are done.
    """
    if await services.roster.meta("menu_version") == MENU_VERSION:
        return
    progress = f"menu_refresh_after:{MENU_VERSION}"
    after = int(await services.roster.meta(progress) or 0)
    done = 0
    while page := await services.roster.active_members_after(after, MENU_PAGE):
        for member in page:
            if member.chat_id is None:
                continue
            principal = await services.roster.principal(member.telegram_user_id)
            translator = services.i18n.translator(member.locale)
            await set_chat_menu(bot, translator, member.chat_id, principal)
        after = page[-1].id
        done += len(page)
        await services.roster.set_meta(progress, str(after))
    await services.roster.set_meta("menu_version", MENU_VERSION)
    if done:
        logger.info("Command menus refreshed for %s members", done)
