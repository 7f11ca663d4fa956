"""What every update goes through: de-duplication, the locale, errors; shared helpers."""

from __future__ import annotations

import contextlib
import html
import logging
import re
import unicodedata
from collections.abc import Callable, Sequence

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
    User,
)
from telegram.constants import MessageLimit
from telegram.error import NetworkError, RetryAfter, TelegramError
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
    """Log the failure, tell the person something went wrong in their language, and send
    the operator a short, rate-limited alert (after python-telegram-bot's errorhandlerbot).

    PTB gives the error handler a context of its own, without the translator the update
    had: the person's language is looked up again. Telegram being unreachable or asking
    to wait is not a fault of ours: one log line, and no apology (it would meet the same
    wall). Nothing personal goes to the log or the alert: no message text, no names.
    """
    error = context.error
    if isinstance(error, RetryAfter | NetworkError):
        logger.warning(
            "Could not answer an update (%s: %s)", type(error).__name__, _telegram_reason(error)
        )
        return
    where = _where(error)
    kind = _update_kind(update)
    logger.error("Error in %s while handling %s", where, kind, exc_info=error)
    user = update.effective_user if isinstance(update, Update) else None
    chat = update.effective_chat if isinstance(update, Update) else None
    t = await _translator_for(context, user)
    if chat is not None:
        try:
            await context.bot.send_message(
                chat.id,
                t.gettext("Sorry, something went wrong on our side. Please try again in a moment."),
            )
        except Exception:  # the error may be the network itself; it is logged above
            logger.warning("Could not tell the user about the error")
    await _alert_operator(context, where, type(error).__name__, kind)


async def _translator_for(context: ConveneContext, user: User | None) -> Translator:
    services = context.services
    locale = None
    if user is not None:
        with contextlib.suppress(Exception):  # the database may be what failed
            account = await services.roster.account(user.id)
            locale = account.locale if account else None
        if locale is None:
            locale = match_locale(user.language_code, services.settings.default_locale)
    return services.i18n.translator(locale)


async def _alert_operator(context: ConveneContext, where: str, error: str, kind: str) -> None:
    services = context.services
    chat_id = services.settings.alert_chat
    if chat_id is None:
        return
    held = services.alerts.allow(f"{where}:{error}", services.clock.now())
    if held is None:
        return
    t = await _translator_for_chat(context, chat_id)
    lines = [
        t.gettext(
            "⚠️ Convene error: {error} in {where}, while handling {kind}. The log has the details.",
            error=error,
            where=where,
            kind=kind,
        )
    ]
    if held:
        lines.append(
            t.ngettext(
                "{count} more alert was held back.",
                "{count} more alerts were held back.",
                held,
                count=held,
            )
        )
    try:
        await context.bot.send_message(chat_id, "\n".join(lines))  # escaped by gettext
    except Exception as failure:
        logger.warning("Could not alert the operator chat (%s)", type(failure).__name__)


async def _translator_for_chat(context: ConveneContext, chat_id: int) -> Translator:
    services = context.services
    locale = None
    with contextlib.suppress(Exception):
        account = await services.roster.account(chat_id)
        locale = account.locale if account else None
    return services.i18n.translator(locale)


def _where(error: BaseException | None) -> str:
    """The innermost function of ours in the traceback: `handlers.rsvp.on_press`."""
    found = "unknown"
    tb = error.__traceback__ if error is not None else None
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        if module.startswith(("handlers.", "bot.", "storage.")):
            found = f"{module}.{tb.tb_frame.f_code.co_name}"
        tb = tb.tb_next
    return found


def _update_kind(update: object) -> str:
    """What was being handled, as a technical label (no content): `/status`, `button rsvp`,
    `document`, `text`, `job`."""
    if not isinstance(update, Update):
        return "job" if update is None else type(update).__name__
    if update.callback_query is not None:
        prefix = (update.callback_query.data or "").split(":", 1)[0]
        return f"button {prefix[:16]}"
    message = update.effective_message
    if message is not None:
        if message.text and message.text.startswith("/"):
            return message.text.split()[0].split("@")[0][:32]
        if message.document is not None:
            return "document"
        return "text"
    return "update"


def _telegram_reason(error: TelegramError) -> str:
    return error.message[:200]


def register(app: Application) -> None:
    app.add_handler(TypeHandler(Update, prepare), group=GROUP_PREPARE)
    app.add_error_handler(on_error)


# -- helpers shared by the feature modules ---------------------------------------------------


# What fits on a phone. Telegram draws the buttons of a row at equal widths across about
# 40 characters of a phone's screen in portrait, and cuts a label that overflows its button
# ("Отправить замену" becomes "Отправить з…" three to a row). LABEL_BUDGET[n] is the longest
# label that is drawn whole n to a row; `keyboard` splits a row whose labels do not fit.
ROW_WIDTH = 40
LABEL_BUDGET = {1: 38, 2: 18, 3: 12}


def label_budget(per_row: int) -> int:
    return LABEL_BUDGET.get(per_row, ROW_WIDTH // per_row - 2)


def label_width(label: str) -> int:
    """Width in characters as a phone draws it: emoji and CJK count two, accents nothing."""
    width = 0
    for char in label:
        if unicodedata.combining(char) or char in "\ufe0f\u200d":
            continue
        wide = unicodedata.east_asian_width(char) in "WF" or ord(char) >= 0x1F000
        width += 2 if wide else 1
    return width


def fits(row: Sequence[tuple[str, str]]) -> bool:
    return all(label_width(label) <= label_budget(len(row)) for label, _ in row)


def fit_rows(rows: Sequence[Sequence[tuple[str, str]]]) -> list[list[tuple[str, str]]]:
    """The same buttons in the same order, a row split where its labels would be cut."""
    fitted: list[list[tuple[str, str]]] = []
    for row in rows:
        if fits(row):
            fitted.append(list(row))
            continue
        current: list[tuple[str, str]] = []
        for button in row:
            if current and not fits([*current, button]):
                fitted.append(current)
                current = []
            current.append(button)
        if current:
            fitted.append(current)
    return fitted


def keyboard(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """Rows of (label, callback_data) pairs, arranged so that no label is cut on a phone.
    Callback data is checked to fit in 64 bytes."""
    built = []
    for row in fit_rows(rows):
        buttons = []
        for label, data in row:
            if len(data.encode()) > 64:
                raise ValueError(f"callback data longer than 64 bytes: {data!r}")
            buttons.append(InlineKeyboardButton(label, callback_data=data))
        built.append(buttons)
    return InlineKeyboardMarkup(built)


def chunked(rows: Sequence[tuple[str, str]], size: int) -> list[list[tuple[str, str]]]:
    return [list(rows[i : i + size]) for i in range(0, len(rows), size)]


_TAG = re.compile(r"<[^<>]*>")


def visible_length(text: str) -> int:
    """The length Telegram limits: of the text without its markup, in UTF-16 code units."""
    shown = html.unescape(_TAG.sub("", text))
    return len(shown.encode("utf-16-le")) // 2


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
    """Join lines (each one well-formed HTML) into as few messages as Telegram's length limit
    allows. A line too long on its own is shortened as plain text, so that no cut falls
    inside a tag or an entity."""
    parts: list[str] = []
    current = ""
    for line in lines:
        if visible_length(line) > limit:
            shown, keep = html.unescape(_TAG.sub("", line)), limit - 1
            line = escape(shown[:keep] + "…")
            while visible_length(line) > limit:  # astral characters count twice
                keep -= 64
                line = escape(shown[:keep] + "…")
        candidate = f"{current}\n{line}" if current else line
        if visible_length(candidate) > limit and current:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    return parts


def shorten(text: str, room: int | None) -> str:
    """`text` (plain, not HTML) cut to `room` characters, ending with "…" where cut;
    None: as it is."""
    if room is None or len(text) <= room:
        return text
    return text[: max(0, room - 1)].rstrip() + "…" if room > 0 else ""


def share_room(texts: Sequence[str], room: int | None) -> list[int | None]:
    """How many characters each of `texts` may keep so that together they keep `room`:
    short ones whole, the long ones an equal share of the rest. None: no limit."""
    if room is None:
        return [None] * len(texts)
    shares: list[int | None] = [None] * len(texts)
    left, waiting = max(0, room), sorted(range(len(texts)), key=lambda i: len(texts[i]))
    while waiting:
        share = left // len(waiting)
        index = waiting.pop(0)
        shares[index] = min(len(texts[index]), share)
        left -= shares[index] or 0
    return shares


def fit(build: Callable[[int | None], str], limit: int = MessageLimit.MAX_TEXT_LENGTH) -> str:
    """The message `build(room)` makes, within Telegram's length limit: `build` keeps its
    free texts (a description, an agenda, an answer) to `room` characters in all, or whole
    for None. They are shortened only when the whole would not fit."""
    text = build(None)
    if visible_length(text) <= limit:
        return text
    room = limit - visible_length(build(0)) - 8  # the line breaks and "…" of the texts
    text = build(room)
    while visible_length(text) > limit and room > 0:  # astral characters count twice
        room -= 64
        text = build(room)
    return text


async def reply(update: Update, text: str, **kwargs: object) -> Message | None:
    """Answer in the chat the update came from."""
    message = update.effective_message
    if message is None:
        return None
    return await message.reply_text(text, **kwargs)  # type: ignore[arg-type]


async def reply_lines(
    update: Update, lines: Sequence[str], reply_markup: InlineKeyboardMarkup | None = None
) -> None:
    """Answer with `lines` in as many messages as Telegram's limit needs; the buttons go
    under the last one."""
    parts = split_message(lines)
    for index, part in enumerate(parts):
        await reply(update, part, reply_markup=reply_markup if index == len(parts) - 1 else None)


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


UNDELIVERED_SHOWN = 20  # in a chat message; the export and /proof's file have them all


def undelivered_lines(
    t: Translator, failed: Sequence[tuple[str, str, str]], *, total: int | None = None
) -> list[str]:
    """Recipients a notice did not reach, as (name, country code, Telegram's reason);
    `total` where `failed` holds only the first of them."""
    if not failed:
        return []
    total = len(failed) if total is None else total
    lines = ["", t.gettext("<b>Not delivered</b> (send again with /resend NUMBER):")]
    lines += [
        t.gettext(
            "{name} ({country}): {reason}",
            name=name,
            country=t.country(country) if country else "—",
            reason=reason or "?",
        )
        for name, country, reason in failed[:UNDELIVERED_SHOWN]
    ]
    shown = min(len(failed), UNDELIVERED_SHOWN)
    if total > shown:
        lines.append(
            t.ngettext(
                "… and {count} more.", "… and {count} more.", total - shown, count=total - shown
            )
        )
    return lines


def parse_options(args: list[str]) -> tuple[list[str], dict[str, str]]:
    """`a,b key=value …` -> (["a", "b"], {"key": "value"})."""
    positional: list[str] = []
    options: dict[str, str] = {}
    for arg in args:
        key, sep, value = arg.partition("=")
        if sep:
            options[key.lower()] = value
        else:
            positional += [part for part in arg.split(",") if part]
    return positional, options
