"""Follow members who block or unblock the bot (Telegram's my_chat_member updates)."""

from __future__ import annotations

import logging

from telegram import ChatMember, Update
from telegram.ext import Application, ChatMemberHandler

from bot.context import ConveneContext

logger = logging.getLogger(__name__)


async def on_my_chat_member(update: Update, context: ConveneContext) -> None:
    """Mark a member unreachable when they block the bot, active again when they return."""
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    status = change.new_chat_member.status
    reachable = status not in {ChatMember.BANNED, ChatMember.LEFT}
    new = await context.services.roster.set_reachable(change.from_user.id, reachable)
    if new is not None:
        logger.debug("Member with Telegram id %s is now %s", change.from_user.id, new.value)


def register(app: Application) -> None:
    app.add_handler(ChatMemberHandler(on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
