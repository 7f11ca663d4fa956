"""Approving registrations: the request card, its buttons, and `/pending`."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Sequence

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import ConveneContext
from bot.domain.models import Member, MemberStatus, Recipient
from bot.domain.roster import DecisionKind
from bot.domain.values import parse_id
from bot.i18n import Raw, Translator
from handlers.common import PRIVATE, alert, keyboard, member_identity, reply
from handlers.menus import set_chat_menu

logger = logging.getLogger(__name__)

CALLBACK = re.compile(r"^appr:([0-9]{1,19}):([ar])$")


def card_text(t: Translator, member: Member, teams: Sequence[str]) -> str:
    details = [
        *member_identity(t, member),
        t.gettext("Teams: {teams}", teams=", ".join(teams)),
    ]
    return t.gettext(
        "<b>New registration to approve</b> (#{number})\n\n{details}",
        number=str(member.id),
        details=Raw("\n".join(details)),
    )


def card_buttons(t: Translator, member_id: int) -> InlineKeyboardMarkup:
    return keyboard(
        [
            [
                (t.gettext("Approve"), f"appr:{member_id}:a"),
                (t.gettext("Reject"), f"appr:{member_id}:r"),
            ]
        ]
    )


async def send_approval_requests(
    context: ConveneContext, member: Member, teams: list[str], approvers: Sequence[Recipient]
) -> None:
    """Send the card to each approver in their own language; remember the messages."""
    services = context.services
    if not approvers:
        logger.warning("Registration #%s waits for approval but no approver has a chat", member.id)
    for approver in approvers:
        t = services.i18n.translator(approver.locale)
        try:
            sent = await context.bot.send_message(
                approver.chat_id,
                card_text(t, member, teams),
                reply_markup=card_buttons(t, member.id),
            )
        except TelegramError:
            # One unreachable approver must not stop the others; /pending shows it again.
            logger.warning(
                "Could not send approval request to %s", approver.telegram_user_id, exc_info=True
            )
            continue
        await services.roster.record_approval_message(member.id, approver.chat_id, sent.message_id)


async def on_decision(update: Update, context: ConveneContext) -> None:
    """Approve or reject from the card's buttons, then tell the applicant and the others."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    t = context.t
    match = CALLBACK.match(query.data or "")
    member_id = parse_id(match.group(1)) if match else None
    if match is None or member_id is None:
        await alert(update, t.gettext("This button is no longer valid."))
        return
    approve = match.group(2) == "a"
    services = context.services
    decision = await services.roster.decide(member_id, user.id, approve)
    if decision.kind is DecisionKind.FORBIDDEN:
        await alert(update, t.gettext("You are not allowed to do this."))
        return
    if decision.kind is DecisionKind.GONE:
        await alert(update, t.gettext("This registration was already rejected."))
        await _strip_buttons(query)
        return
    if decision.kind is DecisionKind.ALREADY_DECIDED:
        await alert(update, t.gettext("This registration was already decided."))
        await _strip_buttons(query)
        return
    await query.answer()
    member = decision.member
    assert member is not None
    decider = (await services.roster.principal(user.id)).member
    decider_name = decider.full_name if decider else (user.full_name or str(user.id))
    # Every approver's card now shows the outcome instead of buttons, each in its reader's
    # language; the presser's card is edited through the query in any case.
    targets = dict(decision.messages)
    if query.message is not None:
        targets[query.message.chat.id] = query.message.message_id
    teams = list(decision.teams)
    for chat_id, message_id in targets.items():
        account = await services.roster.account(chat_id)
        reader = services.i18n.translator(account.locale if account else None)
        outcome = (
            reader.gettext("Approved by {name}.", name=decider_name)
            if approve
            else reader.gettext("Rejected by {name}.", name=decider_name)
        )
        try:
            await context.bot.edit_message_text(
                f"{card_text(reader, member, teams)}\n\n<b>{outcome}</b>",
                chat_id=chat_id,
                message_id=message_id,
                reply_markup=None,
            )
        except TelegramError:
            logger.debug("Could not update approval card in chat %s", chat_id)
    applicant = decision.applicant
    if applicant is None:
        return
    reader = services.i18n.translator(applicant.locale)
    if approve:
        text = reader.gettext(
            "Good news: your registration was approved. Welcome to {teams}! Use /help to see "
            "what you can do.",
            teams=", ".join(teams),
        )
    else:
        text = reader.gettext(
            "Your registration was not approved. If you think this is a mistake, please contact "
            "the secretariat."
        )
    try:
        await context.bot.send_message(applicant.chat_id, text)
    except Forbidden:
        logger.debug("Applicant %s has blocked the bot", applicant.telegram_user_id)
    if approve:
        principal = await services.roster.principal(applicant.telegram_user_id)
        await set_chat_menu(context.bot, reader, applicant.chat_id, principal)


async def _strip_buttons(query: object) -> None:
    with contextlib.suppress(BadRequest):  # already without buttons
        await query.edit_message_reply_markup(None)  # type: ignore[attr-defined]


async def pending(update: Update, context: ConveneContext) -> None:
    """Show every registration the person may decide, each with its buttons."""
    user = update.effective_user
    assert user is not None
    t = context.t
    services = context.services
    principal = await services.roster.principal(user.id)
    if not (principal.is_admin or principal.focal_countries):
        await reply(update, t.gettext("You are not allowed to use this command."))
        return
    waiting = [
        member
        for member in await services.roster.members(status=MemberStatus.PENDING.value)
        if principal.may_decide_for(member.country)
    ]
    if not waiting:
        await reply(update, t.gettext("No registrations are waiting for approval."))
        return
    for member in waiting:
        teams = [team.name for team, _ in await services.roster.teams_of(member.id)]
        sent = await reply(
            update, card_text(t, member, teams), reply_markup=card_buttons(t, member.id)
        )
        if sent is not None:
            await services.roster.record_approval_message(member.id, sent.chat_id, sent.message_id)


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(on_decision, pattern=r"^appr:"))
    app.add_handler(CommandHandler("pending", pending, filters=PRIVATE))
