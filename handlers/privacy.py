"""`/mydata` and `/forget`: a member's copy of their data, and its deletion."""

from __future__ import annotations

import contextlib
import json

from telegram import InputFile, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import ConveneContext
from handlers import menus
from handlers.common import PRIVATE, alert, keyboard, reply


async def mydata(update: Update, context: ConveneContext) -> None:
    """Send everything the bot holds about the person, as a JSON file."""
    user = update.effective_user
    assert user is not None
    t = context.t
    data = await context.services.privacy.my_data(user.id)
    day = context.services.clock.now().date().isoformat()
    content = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, default=str)
    await context.bot.send_document(
        user.id,
        InputFile(content.encode("utf-8"), filename=f"convene-mydata-{day}.json"),
        caption=t.gettext(
            "Everything Convene holds about you, as of today. Send /forget to have it deleted."
        ),
    )


async def forget(update: Update, context: ConveneContext) -> None:
    """Ask for confirmation before deleting the person's data."""
    t = context.t
    await reply(
        update,
        t.gettext(
            "<b>Delete your data?</b>\n\nYour profile, your answers, your memberships and "
            "the record of messages sent to you are deleted; you will no longer receive "
            "notices. Answers you gave for your country stay with your country, without "
            "your name. The official record keeps only a pseudonym. This cannot be undone."
        ),
        reply_markup=keyboard(
            [
                [(t.gettext("Yes, delete my data"), "forget:yes")],
                [(t.gettext("No, keep it"), "forget:no")],
            ]
        ),
    )


async def on_forget_button(update: Update, context: ConveneContext) -> None:
    """Delete on "yes" (the answer comes in the language the person used); else nothing."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    t = context.t
    if query.data not in ("forget:yes", "forget:no"):
        await alert(update, t.gettext("This button is no longer valid."))
        return
    await query.answer()
    with contextlib.suppress(BadRequest):
        await query.edit_message_reply_markup(None)
    if query.data == "forget:no":
        await reply(update, t.gettext("Nothing was deleted."))
        return
    deleted = await context.services.privacy.forget(user.id, requested_by=user.id)
    if not deleted:
        await reply(update, t.gettext("Convene holds no data about you."))
        return
    await menus.set_chat_menu(context.bot, t, user.id, None)
    await reply(
        update,
        t.gettext(
            "Your data has been deleted. If you are invited again, you can register with a "
            "new invitation link."
        ),
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("mydata", mydata, filters=PRIVATE))
    app.add_handler(CommandHandler("forget", forget, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(on_forget_button, pattern=r"^forget:"))
