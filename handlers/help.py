"""`/help`, and the answer to anything no other handler took."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.context import ConveneContext
from bot.domain.access import commands_for
from handlers.common import PRIVATE, alert, reply
from handlers.menus import describe

# Last: only what every feature module let through arrives here.
GROUP_FALLBACK = 9


async def help_command(update: Update, context: ConveneContext) -> None:
    """List the commands this person may use, with what each does."""
    user = update.effective_user
    assert user is not None
    t = context.t
    principal = await context.services.roster.principal(user.id)
    lines = [f"/{command} — {describe(t, command)}" for command in commands_for(principal)]
    intro = t.gettext(
        "Convene keeps the members of expert teams and conferences informed: meeting "
        "notices, requests and deadlines, each in your own language."
    )
    await reply(update, intro + "\n\n" + "\n".join(lines))


async def unknown_text(update: Update, context: ConveneContext) -> None:
    """Say that the message was not understood, and where to look."""
    await reply(
        update, context.t.gettext("I did not understand that. Use /help to see what I can do.")
    )


async def unknown_button(update: Update, context: ConveneContext) -> None:
    """A button no feature recognises: forged, or from a message of an older version."""
    await alert(update, context.t.gettext("This button is no longer valid."))


async def unknown_command(update: Update, context: ConveneContext) -> None:
    """A command nobody registered (or a typo)."""
    await reply(
        update, context.t.gettext("I do not know that command. Use /help to see what I can do.")
    )


def register(app: Application) -> None:
    """Register last: in group 0 the first matching handler wins, so the catch-alls added
    here only see commands and buttons that no feature module claimed."""
    private = PRIVATE
    app.add_handler(CommandHandler("help", help_command, filters=private))
    app.add_handler(MessageHandler(private & filters.COMMAND, unknown_command))
    app.add_handler(CallbackQueryHandler(unknown_button))
    # Messages that neither the input router (handlers/pending.py) nor a feature took.
    app.add_handler(
        MessageHandler(private & ~filters.COMMAND, unknown_text),
        group=GROUP_FALLBACK,
    )
