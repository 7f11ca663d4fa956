"""`/language` and `/timezone`: how a person reads Convene."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
)

from bot.context import ConveneContext
from bot.domain.access import Principal
from bot.domain.countries import timezones_of
from bot.domain.pending import Feature, Pending
from bot.i18n import LANGUAGE_BY_CODE
from handlers.common import PRIVATE, alert, chunked, keyboard, reply
from handlers.menus import set_chat_menu
from handlers.registration_steps import language_keyboard


async def language(update: Update, context: ConveneContext) -> None:
    """Offer the languages, each in its own name."""
    await reply(
        update,
        context.t.gettext("Choose your language:"),
        reply_markup=language_keyboard("lang:", context.t.locale),
    )


async def on_language(update: Update, context: ConveneContext) -> None:
    """Store the chosen language and answer in it."""
    query = update.callback_query
    user, chat = update.effective_user, update.effective_chat
    assert query is not None and user is not None and chat is not None
    code = (query.data or "").removeprefix("lang:")
    services = context.services
    if code not in LANGUAGE_BY_CODE:
        await alert(update, context.t.gettext("This button is no longer valid."))
        return
    await services.roster.set_locale(user.id, chat.id, code)
    t = services.i18n.translator(code)
    await query.answer()
    await query.edit_message_text(
        t.gettext("Your language is now {language}.", language=LANGUAGE_BY_CODE[code].native_name)
    )
    principal = await services.roster.principal(user.id)
    if principal.member or principal.is_admin or principal.focal_countries:
        await set_chat_menu(context.bot, t, chat.id, principal)


async def timezone(update: Update, context: ConveneContext) -> None:
    """Show the current time zone and offer others; typed names are accepted too.
    `/timezone Skopje` sets it at once, or says that no such zone is known."""
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    services = context.services
    t = context.t
    principal = await services.roster.principal(user.id)
    if not may_set_timezone(principal):
        await reply(update, not_registered_text(context))
        return
    await services.roster.remember_chat(user.id, chat.id)
    await services.pending.ask(user.id, Feature.TIMEZONE)
    if context.args:
        # Unknown: the refusal asks again, and the next message is taken as the zone.
        await _set_timezone(update, context, " ".join(context.args))
        return
    current = context.timezone
    country = principal.member.country if principal.member else ""
    choices = [z for z in timezones_of(country) if z != current][:8]
    markup = keyboard(chunked([(z, f"tz:{z}") for z in choices], 2)) if choices else None
    await reply(
        update,
        t.gettext(
            "Your time zone is {timezone}; it is now {time} there. To change it, send the name "
            "of a time zone or of a city in it, for example Europe/Skopje or Skopje.",
            timezone=current,
            time=t.datetime(services.clock.now(), current),
        ),
        reply_markup=markup,
    )


def may_set_timezone(principal: Principal) -> bool:
    """Members, and the admins and focal points who may never register, have a time zone."""
    return principal.member is not None or principal.is_admin or bool(principal.focal_countries)


async def on_timezone_button(update: Update, context: ConveneContext) -> None:
    """A zone from the /timezone buttons; checked like the command itself."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    if not may_set_timezone(await context.services.roster.principal(user.id)):
        await alert(update, not_registered_text(context))
        return
    await query.answer()
    await _set_timezone(update, context, (query.data or "").removeprefix("tz:"))


async def on_input(update: Update, context: ConveneContext, pending: Pending) -> bool:
    """Typed text after /timezone is the zone (handlers/pending.py routes it here)."""
    message = update.effective_message
    if message is None or message.text is None:
        return False
    await _set_timezone(update, context, message.text)
    return True


async def _set_timezone(update: Update, context: ConveneContext, text: str) -> None:
    user = update.effective_user
    assert user is not None
    services = context.services
    t = context.t
    resolved = await services.roster.set_timezone(user.id, text)
    if resolved is None:
        await reply(
            update,
            t.gettext(
                "I could not find that time zone. Please send a name such as Europe/Skopje "
                "or a city such as Skopje."
            ),
        )
        return
    await services.pending.clear(user.id, Feature.TIMEZONE)
    await reply(
        update,
        t.gettext(
            "Your time zone is now {timezone}; it is {time} there.",
            timezone=resolved,
            time=t.datetime(services.clock.now(), resolved),
        ),
    )


def not_registered_text(context: ConveneContext) -> str:
    return context.t.gettext(
        "This command is for registered members. Please open the personal invitation link "
        "the secretariat sent you."
    )


def register(app: Application) -> None:
    app.add_handler(CommandHandler("language", language, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(on_language, pattern=r"^lang:"))
    app.add_handler(CommandHandler("timezone", timezone, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(on_timezone_button, pattern=r"^tz:"))
