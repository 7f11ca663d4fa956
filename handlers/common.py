"""What every update goes through: de-duplication, the locale, errors; shared helpers."""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import MessageLimit
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler, filters

from bot.context import ConveneContext
from bot.domain.access import Principal, Scope
from bot.domain.models import Member
from bot.domain.values import parse_id
from bot.i18n import Translator, match_locale

logger = logging.getLogger(__name__)

# Private chats only, and new messages only: an edited message is not a new answer.
PRIVATE = filters.ChatType.PRIVATE & ~filters.UpdateType.EDITED

# Handler groups, in the order PTB runs them (lowest first). See bot/app.py.
GROUP_PREPARE = -20


async def prepare(update: Update, context: ConveneContext) -> None:
    """Drop an update already handled (Telegram may deliver one twice); else load the
    person's account and pick their language: the stored choice, else Telegram's, else
    the default.

    One transaction for both, since every update pays for it.
    """
    services = context.services
    user = update.effective_user
    first, account = await services.roster.begin_update(
        update.update_id, user.id if user is not None else None
    )
    if not first:
        logger.info("Dropping update %s: already handled", update.update_id)
        raise ApplicationHandlerStop
    locale = None
    if user is not None:
        context.account = account
        locale = account.locale if account else None
        if locale is None:
            locale = match_locale(user.language_code, services.settings.default_locale)
    context.t = services.i18n.translator(locale)


async def on_error(update: object, context: ConveneContext) -> None:
    """Log the failure, then tell the person something went wrong, in their language."""
    logger.error("Error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await context.bot.send_message(
                update.effective_chat.id,
                context.t.gettext(
                    "Sorry, something went wrong on our side. Please try again in a moment."
                ),
            )
        except Exception:  # the error may be the network itself; it is logged above
            logger.warning("Could not tell the user about the error", exc_info=True)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(TypeHandler(Update, prepare), group=GROUP_PREPARE)
    app.add_error_handler(on_error)


# -- helpers shared by the feature modules ---------------------------------------------------


def keyboard(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """Rows of (label, callback_data) pairs. Callback data is checked to fit in 64 bytes."""
    built = []
    for row in rows:
        buttons = []
        for label, data in row:
            if len(data.encode()) > 64:
                raise ValueError(f"callback data longer than 64 bytes: {data!r}")
            buttons.append(InlineKeyboardButton(label, callback_data=data))
        built.append(buttons)
    return InlineKeyboardMarkup(built)


def chunked(rows: Sequence[tuple[str, str]], size: int) -> list[list[tuple[str, str]]]:
    return [list(rows[i : i + size]) for i in range(0, len(rows), size)]


async def number_argument(update: Update, context: ConveneContext, usage: str) -> int | None:
    """The row number given as the command's only argument (bot/domain/values.py), or None
    after showing `usage`, or saying that what was given is not a valid number."""
    args = context.args or []
    if len(args) != 1:
        await reply(update, usage)
        return None
    number = parse_id(args[0])
    if number is None:
        await reply(update, not_a_number(context.t, args[0]) + "\n\n" + usage)
    return number


def not_a_number(t: Translator, value: str) -> str:
    return t.gettext("“{value}” is not a valid number.", value=value[:40])


def split_message(lines: Sequence[str], limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """Join lines into as few messages as Telegram's length limit allows."""
    parts: list[str] = []
    current = ""
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit and current:
            parts.append(current)
            current = line[:limit]
        else:
            current = candidate[:limit]
    if current:
        parts.append(current)
    return parts


async def reply(update: Update, text: str, **kwargs: object) -> Message | None:
    """Answer in the chat the update came from."""
    message = update.effective_message
    if message is None:
        return None
    return await message.reply_text(text, **kwargs)  # type: ignore[arg-type]


async def alert(update: Update, text: str) -> None:
    """Answer a button press with a pop-up the person must dismiss."""
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)


def identity_lines(
    t: Translator,
    *,
    name: str,
    country: str,
    institution: str,
    position: str,
    email: str | None,
) -> list[str]:
    """Who someone is, one labelled line each: the summary, the approval card, the profile."""
    return [
        t.gettext("Name: {name}", name=name),
        t.gettext("Country: {country}", country=t.country(country) if country else ""),
        t.gettext("Institution: {institution}", institution=institution),
        t.gettext("Position: {position}", position=position),
        t.gettext("E-mail: {email}", email=email or "—"),
    ]


def member_identity(t: Translator, member: Member) -> list[str]:
    return identity_lines(
        t,
        name=member.full_name,
        country=member.country,
        institution=member.institution,
        position=member.position,
        email=member.email,
    )


async def require_admin(update: Update, context: ConveneContext) -> Principal | None:
    """The secretariat admin behind the update, or None after telling them they may not.

    Checked against the database on every use: a role withdrawn a second ago counts.
    """
    user = update.effective_user
    assert user is not None
    principal = await context.services.roster.principal(user.id)
    if not principal.is_admin:
        await _refuse(update, context)
        return None
    return principal


async def require_viewer(update: Update, context: ConveneContext) -> Scope | None:
    """What the person behind the update may see of the secretariat's views (everything,
    their country, their teams), or None after telling them they may not.

    Checked against the database on every use, like require_admin.
    """
    user = update.effective_user
    assert user is not None
    scope = (await context.services.roster.principal(user.id)).scope
    if scope is None:
        await _refuse(update, context)
    return scope


async def _refuse(update: Update, context: ConveneContext) -> None:
    text = context.t.gettext("You are not allowed to use this command.")
    if update.callback_query is not None:
        await alert(update, text)
    else:
        await reply(update, text)


def escape(value: str) -> str:
    return html.escape(value, quote=False)
