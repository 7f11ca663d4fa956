"""The input router: a person's next message goes to the feature that asked for it, and
`/cancel` ends whatever was asked (bot/domain/pending.py keeps it, one per person).

A feature asks with `services.pending.ask(...)`; its `on_input(update, context, pending)`
gets the next message and says whether it took it. A message it does not take (a sticker
where a time zone was asked) goes on to the handlers of later groups: the unprompted file
for a request, then the fallback that says it was not understood.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, CommandHandler, MessageHandler
from telegram.ext import filters as tg_filters

from bot.context import ConveneContext
from bot.domain.pending import Feature, Pending
from handlers import meetings, notices, preferences, profile, registration, requests, rsvp
from handlers.common import PRIVATE, reply

# Before every feature's own message handlers (groups 2 and later) and the fallback.
GROUP_INPUT = 1

Route = Callable[[Update, ConveneContext, Pending], Awaitable[bool]]

ROUTES: dict[Feature, Route] = {
    Feature.REGISTRATION: registration.on_input,
    Feature.MEETING: meetings.on_input,
    Feature.ANNOUNCEMENT: notices.on_input,
    Feature.REQUEST: requests.on_input,
    Feature.RSVP_COMMENT: rsvp.on_input,
    Feature.TIMEZONE: preferences.on_input,
    Feature.PROFILE: profile.on_input,
    # A /forget waits for a button, not for a message.
}


async def route(update: Update, context: ConveneContext) -> None:
    user = update.effective_user
    if user is None:
        return
    pending = await context.services.pending.current(user.id)
    if pending is None:
        return
    handler = ROUTES.get(pending.feature)
    if handler is not None and await handler(update, context, pending):
        raise ApplicationHandlerStop


async def cancel(update: Update, context: ConveneContext) -> None:
    """`/cancel`: end whatever the person's next message was to answer."""
    user = update.effective_user
    assert user is not None
    services, t = context.services, context.t
    ended = await services.pending.clear(user.id)
    if ended is None:
        await reply(update, t.gettext("There is nothing to cancel."))
        return
    if ended.feature is Feature.REGISTRATION:
        await services.registrations.cancel(user.id)
    await reply(update, t.gettext("Cancelled: nothing was sent."))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("cancel", cancel, filters=PRIVATE))
    app.add_handler(
        MessageHandler(PRIVATE & ~tg_filters.COMMAND, route),
        group=GROUP_INPUT,
    )
