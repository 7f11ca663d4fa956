"""`/mydata` and `/forget`: a member's copy of their data, and its deletion."""

from __future__ import annotations

import contextlib
import json
import re

from telegram import InputFile, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import ConveneContext
from bot.domain.privacy import ForgetOutcome
from handlers import menus
from handlers.common import PRIVATE, alert, keyboard, reply

FORGET_BUTTON = re.compile(r"^forget:(?:(no)|yes(?::([0-9]{1,12}))?)$")


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
    user = update.effective_user
    assert user is not None
    t = context.t
    stamp = await context.services.privacy.ask_to_forget(user.id)
    if stamp is None:
        await reply(update, t.gettext("Convene holds no data about you."))
        return
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
                # The stamp ties "yes" to this /forget: no other button deletes anything.
                [(t.gettext("Yes, delete my data"), f"forget:yes:{stamp}")],
                [(t.gettext("No, keep it"), "forget:no")],
            ]
        ),
    )


async def on_forget_button(update: Update, context: ConveneContext) -> None:
    """Delete on the "yes" of the /forget just sent (the answer comes in the language the
    person used); else nothing."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    t = context.t
    services = context.services
    match = FORGET_BUTTON.match(query.data or "")
    if match is None:
        await alert(update, t.gettext("This button is no longer valid."))
        return
    if match.group(1) == "no":
        await query.answer()
        await services.privacy.keep(user.id)
        with contextlib.suppress(BadRequest):
            await query.edit_message_reply_markup(None)
        await reply(update, t.gettext("Nothing was deleted."))
        return
    stamp = int(match.group(2)) if match.group(2) else None
    outcome = await services.privacy.confirm_forget(user.id, stamp)
    if outcome is ForgetOutcome.NOT_ASKED:
        await alert(
            update,
            t.gettext(
                "This confirmation is no longer valid: nothing was deleted. Send /forget "
                "again if you want your data deleted."
            ),
        )
        with contextlib.suppress(BadRequest):
            await query.edit_message_reply_markup(None)
        return
    await query.answer()
    with contextlib.suppress(BadRequest):
        await query.edit_message_reply_markup(None)
    if outcome is ForgetOutcome.NOTHING_HELD:
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


def register(app: Application) -> None:
    app.add_handler(CommandHandler("mydata", mydata, filters=PRIVATE))
    app.add_handler(CommandHandler("forget", forget, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(on_forget_button, pattern=r"^forget:"))
