"""The roster for the secretariat: `/members` (who is registered, filtered) and `/revoke`.

Each checks the person's role in the database on every use; a person without it
gets a localized refusal and nothing changes.
"""

from __future__ import annotations

import contextlib
import logging
import re

from telegram import Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import ConveneContext
from bot.domain.models import MemberStatus
from bot.domain.roster import DecisionKind, RosterError
from bot.domain.values import parse_id
from handlers.common import (
    PRIVATE,
    alert,
    keyboard,
    member_identity,
    number_argument,
    parse_options,
    reply,
    require_admin,
    require_viewer,
    split_message,
)
from handlers.menus import set_chat_menu
from handlers.profile import status_label
from handlers.registration import revoked_text

logger = logging.getLogger(__name__)


_admin = require_admin
REVOKE_BUTTON = re.compile(r"^rvk:([0-9]{1,19})$")


async def members(update: Update, context: ConveneContext) -> None:
    """List members, filtered by team=, country= and status= (a focal point sees their
    country's, a chair their teams')."""
    scope = await require_viewer(update, context)
    if scope is None:
        return
    t = context.t
    _, options = parse_options(context.args or [])
    try:
        found = await context.services.roster.members(
            team=options.get("team"),
            country=options.get("country"),
            status=options.get("status"),
            scope=scope,
        )
    except RosterError as error:
        await reply(
            update,
            t.gettext(
                "Unknown filter value “{value}”. Usage: /members [team=SLUG] [country=CC] "
                "[status=pending|active|revoked|unreachable]",
                value=error.value,
            ),
        )
        return
    if not found:
        await reply(update, t.gettext("No members match."))
        return
    lines = [t.ngettext("<b>{n} member</b>", "<b>{n} members</b>", len(found))]
    for member in found:
        lines.append(
            t.gettext(
                "#{number} {name} ({country}), {institution}, {position}; {teams}; {status}",
                number=str(member.id),
                name=member.full_name,
                country=member.country,
                institution=member.institution,
                position=member.position,
                teams=", ".join(member.teams) or "—",
                status=status_label(t, member.status),
            )
        )
    for part in split_message(lines):
        await reply(update, part)


async def revoke(update: Update, context: ConveneContext) -> None:
    """Show whose access would be withdrawn, with a button to confirm."""
    principal = await _admin(update, context)
    if principal is None:
        return
    t = context.t
    number = await number_argument(
        update, context, t.gettext("Usage: /revoke NUMBER (the member's number from /members).")
    )
    if number is None:
        return
    member = await context.services.roster.member(number)
    if member is None:
        await reply(update, t.gettext("There is no member #{number}.", number=str(number)))
        return
    if member.status is MemberStatus.REVOKED:
        await reply(update, t.gettext("{name} has no access already.", name=member.full_name))
        return
    lines = [
        t.gettext("<b>Withdraw the access of member #{number}?</b>", number=str(number)),
        "",
        *member_identity(t, member),
        t.gettext("Status: {status}", status=status_label(t, member.status)),
        "",
        t.gettext("They will be told, and will no longer receive notices."),
    ]
    await reply(
        update,
        "\n".join(lines),
        reply_markup=keyboard([[(t.gettext("Yes, withdraw access"), f"rvk:{member.id}")]]),
    )


async def on_revoke_button(update: Update, context: ConveneContext) -> None:
    """Withdraw the access shown on the confirmation, and tell the member."""
    query = update.callback_query
    assert query is not None
    principal = await _admin(update, context)
    if principal is None:
        return
    t = context.t
    services = context.services
    match = REVOKE_BUTTON.match(query.data or "")
    number = parse_id(match.group(1)) if match else None
    if number is None:
        await alert(update, t.gettext("This button is no longer valid."))
        return
    decision = await services.roster.revoke(number, principal.telegram_user_id)
    if decision.kind is DecisionKind.GONE:
        await alert(update, t.gettext("There is no member #{number}.", number=str(number)))
        return
    if decision.kind is DecisionKind.FORBIDDEN:
        await alert(update, t.gettext("You are not allowed to do this."))
        return
    assert decision.member is not None
    await query.answer()
    with contextlib.suppress(BadRequest):
        await query.edit_message_reply_markup(None)
    if decision.kind is DecisionKind.ALREADY_DECIDED:
        await reply(
            update, t.gettext("{name} has no access already.", name=decision.member.full_name)
        )
        return
    logger.debug("Admin %s revoked member #%s", principal.telegram_user_id, number)
    await reply(update, t.gettext("Access withdrawn: {name}.", name=decision.member.full_name))
    applicant = decision.applicant
    if applicant is not None:
        reader = services.i18n.translator(applicant.locale)
        try:
            await context.bot.send_message(applicant.chat_id, revoked_text(reader))
        except Forbidden:
            logger.info("Revoked member #%s has blocked the bot", number)
        await set_chat_menu(context.bot, reader, applicant.chat_id, None)


def register(app: Application) -> None:
    private = PRIVATE
    app.add_handler(CommandHandler("members", members, filters=private))
    app.add_handler(CommandHandler("revoke", revoke, filters=private))
    app.add_handler(CallbackQueryHandler(on_revoke_button, pattern=r"^rvk:"))
