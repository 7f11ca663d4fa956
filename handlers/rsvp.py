"""Answering an invitation: the answer buttons, a comment, a substitute, `/meetings`.

Button data carries the invitation's number (`rsvp:<invitation>:<answer>`); the domain
checks on every press that it is the presser's own invitation, that the meeting is still
on and the deadline not passed. The card is then redrawn with the current answer.
"""

from __future__ import annotations

import contextlib
import logging
import re

from telegram import InputFile, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
)

from bot.context import ConveneContext
from bot.domain.models import ANSWER_BY_CODE, Meeting, MeetingStatus
from bot.domain.pending import Feature, Pending
from bot.domain.rsvp import MAX_COMMENT, Outcome, Result
from bot.domain.values import parse_id
from bot.i18n import Translator
from handlers.common import PRIVATE, alert, keyboard, reply, reply_lines
from handlers.delivery import ics_part, wake_worker
from handlers.meeting_cards import answer_label, card_buttons, card_text, heading_for

logger = logging.getLogger(__name__)

ANSWER = re.compile(r"^rsvp:([0-9]{1,19}):([a-z])$")
COMMENT = re.compile(r"^rsvc:([0-9]{1,19})$")
# rsvs:<invitation> on the card; rsvs:<invitation>:<colleague>:<card message> or
# rsvs:<invitation>:new under the list of colleagues.
SUBSTITUTE = re.compile(r"^rsvs:([0-9]{1,19})(?::(?:([0-9]{1,19})(?::([0-9]{1,19}))?|(new)))?$")
CALENDAR = re.compile(r"^ics:([0-9]{1,19})$")


def refusal_text(t: Translator, result: Result) -> str:
    """Why a press changed nothing, in the presser's language."""
    outcome = result.outcome
    if outcome is Outcome.DEADLINE_PASSED and result.meeting is not None:
        return t.gettext("The deadline for answers has passed; your answer was not changed.")
    if outcome is Outcome.CANCELLED:
        return t.gettext("This meeting has been cancelled.")
    if outcome is Outcome.NOT_YOURS:
        return t.gettext("This invitation is addressed to someone else.")
    if outcome is Outcome.NOT_ACTIVE:
        return t.gettext("Your access has been withdrawn.")
    if outcome is Outcome.NOT_OFFERED:
        return t.gettext("This answer is not offered for this meeting.")
    if outcome is Outcome.TOO_LONG:
        return t.gettext(
            "That is too long (at most {max} characters). Please try again.", max=MAX_COMMENT
        )
    if outcome is Outcome.ALREADY_INVITED:
        return t.gettext("This person is already invited to the meeting.")
    if outcome is Outcome.NOT_SAME_COUNTRY:
        return t.gettext("A substitute must be from your own country's delegation.")
    return t.gettext("This button is no longer valid.")


async def _redraw(
    update: Update, context: ConveneContext, result: Result, message_id: int | None = None
) -> None:
    """Show the card again as it is now (the current answer; no answer buttons once the
    deadline has passed or the meeting was cancelled), in place of the pressed one, or of
    the card `message_id` in the presser's chat."""
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None or result.meeting is None or result.invitation is None:
        return
    t = context.t
    now = context.services.clock.now()
    meeting = result.meeting
    heading = heading_for(t, None, meeting) if meeting.status is MeetingStatus.CANCELLED else None
    text = card_text(t, meeting, result.invitation, context.timezone, now, heading)
    markup = card_buttons(t, meeting, result.invitation, now)
    with contextlib.suppress(BadRequest):  # unchanged, or a message that is not the bot's
        if message_id is None:
            await query.edit_message_text(text, reply_markup=markup)
        else:
            await context.bot.edit_message_text(
                text, chat_id=user.id, message_id=message_id, reply_markup=markup
            )


async def _refuse(update: Update, context: ConveneContext, result: Result) -> None:
    """Say why the press changed nothing; a card that can no longer be answered (deadline
    passed, meeting cancelled) is redrawn without its answer buttons."""
    await alert(update, refusal_text(context.t, result))
    if result.outcome in (Outcome.DEADLINE_PASSED, Outcome.CANCELLED):
        await _redraw(update, context, result)


async def on_answer(update: Update, context: ConveneContext) -> None:
    """Record the tapped answer; then ask for a comment if the meeting wants one."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    t = context.t
    match = ANSWER.match(query.data or "")
    answer = ANSWER_BY_CODE.get(match.group(2)) if match else None
    invitation_id = parse_id(match.group(1)) if match else None
    if invitation_id is None or answer is None:
        await alert(update, t.gettext("This button is no longer valid."))
        return
    result = await context.services.rsvp.answer(invitation_id, user.id, answer)
    if not result.ok:
        await _refuse(update, context, result)
        return
    await query.answer(t.gettext("Saved: {answer}", answer=answer_label(t, answer)))
    await _redraw(update, context, result)
    assert result.meeting is not None and result.invitation is not None
    if result.outcome is Outcome.SAVED and result.meeting.ask_comment:
        await _ask_comment(update, context, result.invitation.id)


async def _ask_comment(update: Update, context: ConveneContext, invitation_id: int) -> None:
    user = update.effective_user
    assert user is not None
    await context.services.pending.ask(user.id, Feature.RSVP_COMMENT, subject=invitation_id)
    t = context.t
    await context.bot.send_message(
        user.id,
        t.gettext(
            "You may add a comment for the secretariat (for example “on mission until "
            "Tuesday”). Type it now, or press “No comment”."
        ),
        reply_markup=keyboard([[(t.gettext("No comment"), f"rsvc:{invitation_id}:none")]]),
    )


async def on_comment_button(update: Update, context: ConveneContext) -> None:
    """“Comment” on the card asks for one; “No comment” stops asking."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    t = context.t
    data = query.data or ""
    if data.endswith(":none"):
        await query.answer()
        await context.services.pending.clear(user.id, Feature.RSVP_COMMENT)
        with contextlib.suppress(BadRequest):
            await query.edit_message_reply_markup(None)
        return
    match = COMMENT.match(data)
    invitation_id = parse_id(match.group(1)) if match else None
    if invitation_id is None:
        await alert(update, t.gettext("This button is no longer valid."))
        return
    result = await context.services.rsvp.may_comment(invitation_id, user.id)
    if not result.ok:
        await _refuse(update, context, result)
        return
    await query.answer()
    await _ask_comment(update, context, invitation_id)


async def on_input(update: Update, context: ConveneContext, pending: Pending) -> bool:
    """Typed text after “Comment” is the comment (handlers/pending.py routes it here)."""
    message = update.effective_message
    user = update.effective_user
    invitation_id = pending.subject_id
    if message is None or message.text is None or user is None or invitation_id is None:
        return False
    t = context.t
    result = await context.services.rsvp.comment(invitation_id, user.id, message.text)
    if result.outcome is Outcome.TOO_LONG:
        await reply(update, refusal_text(t, result))
        return True
    await context.services.pending.clear(user.id, Feature.RSVP_COMMENT)
    if not result.ok:
        await reply(update, refusal_text(t, result))
    else:
        await reply(update, t.gettext("Thank you: your comment is saved."))
    return True


async def on_substitute(update: Update, context: ConveneContext) -> None:
    """Offer colleagues of the same delegation; name one; or ask for a link for someone new."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    t = context.t
    services = context.services
    match = SUBSTITUTE.match(query.data or "")
    invitation_id = parse_id(match.group(1)) if match else None
    if match is None or invitation_id is None:
        await alert(update, t.gettext("This button is no longer valid."))
        return
    colleague, card, new = match.group(2), match.group(3), match.group(4)
    if colleague is None and new is None:
        result, candidates = await services.rsvp.substitute_candidates(invitation_id, user.id)
        if not result.ok:
            await _refuse(update, context, result)
            return
        await query.answer()
        # The card's message rides along, so that it can be redrawn once a colleague is named.
        at = query.message.message_id if query.message is not None else 0
        rows = [[(m.full_name, f"rsvs:{invitation_id}:{m.id}:{at}")] for m in candidates[:30]]
        rows.append([(t.gettext("Someone not yet registered"), f"rsvs:{invitation_id}:new")])
        await reply(
            update,
            t.gettext(
                "Who will attend in your place? Choose a colleague of your delegation, or ask "
                "the secretariat for an invitation link for someone not yet registered."
            ),
            reply_markup=keyboard(rows),
        )
        return
    if new is not None:
        result = await services.rsvp.request_link(invitation_id, user.id)
        if not result.ok:
            await alert(update, refusal_text(t, result))
            return
        await query.answer()
        await _tell_secretariat(context, result)
        with contextlib.suppress(BadRequest):
            await query.edit_message_reply_markup(None)
        await reply(
            update,
            t.gettext(
                "The secretariat has been asked for an invitation link for your substitute. "
                "Forward it to them when you receive it."
            ),
        )
        return
    substitute_id = parse_id(colleague)
    result = (
        await services.rsvp.name_substitute(invitation_id, user.id, substitute_id)
        if substitute_id is not None
        else Result(Outcome.GONE)
    )
    if not result.ok:
        await alert(update, refusal_text(t, result))
        return
    await query.answer()
    with contextlib.suppress(BadRequest):
        await query.edit_message_reply_markup(None)
    card_id = parse_id(card)
    if card_id is not None:
        await _redraw(update, context, result, card_id)
    assert result.substitute is not None
    await reply(
        update,
        t.gettext(
            "{name} is invited in your place and will receive the invitation. Your answer is "
            "now “{answer}”.",
            name=result.substitute.full_name,
            answer=answer_label(t, result.invitation.answer),  # type: ignore[union-attr,arg-type]
        ),
    )
    wake_worker(context)


async def _tell_secretariat(context: ConveneContext, result: Result) -> None:
    member, meeting = result.member, result.meeting
    assert member is not None and meeting is not None
    for recipient in result.notify:
        reader = context.services.i18n.translator(recipient.locale)
        text = reader.gettext(
            "{name} ({country}) cannot attend “{title}” and asks for an invitation link for a "
            "substitute from their delegation. Create one with /invite.",
            name=member.full_name,
            country=reader.country(member.country),
            title=meeting.text_for(reader.locale)[0].title,
        )
        try:
            await context.bot.send_message(recipient.chat_id, text)
        except TelegramError:
            logger.warning("Could not tell an approver about a substitute request")


async def on_calendar(update: Update, context: ConveneContext) -> None:
    """Send the meeting's calendar file again."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    t = context.t
    match = CALENDAR.match(query.data or "")
    invitation_id = parse_id(match.group(1)) if match else None
    result = await context.services.rsvp.view(invitation_id, user.id) if invitation_id else None
    if result is None:
        await alert(update, t.gettext("This button is no longer valid."))
        return
    if not result.ok:
        await _refuse(update, context, result)
        return
    await query.answer()
    part = ics_part(context.services, t, result.meeting)  # type: ignore[arg-type]
    assert part.content is not None
    await context.bot.send_document(user.id, InputFile(part.content, filename=part.filename))


async def my_meetings(update: Update, context: ConveneContext) -> None:
    """The member's upcoming meetings, each with their answer, the deadline and the buttons."""
    user = update.effective_user
    assert user is not None
    t = context.t
    services = context.services
    principal = await services.roster.principal(user.id)
    upcoming = await services.rsvp.mine(user.id)
    if principal.is_admin:
        await _secretariat_listing(update, context)
    if not principal.is_active_member:
        if not principal.is_admin:
            await reply(
                update,
                t.gettext(
                    "This command is for registered members. Please open the personal "
                    "invitation link the secretariat sent you."
                ),
            )
        return
    if not upcoming:
        await reply(update, t.gettext("You have no upcoming meetings."))
        return
    await reply(
        update,
        t.ngettext("<b>{n} upcoming meeting</b>", "<b>{n} upcoming meetings</b>", len(upcoming)),
    )
    now = services.clock.now()
    for meeting, invitation in upcoming:
        await reply(
            update,
            card_text(t, meeting, invitation, context.timezone, now),
            reply_markup=card_buttons(t, meeting, invitation, now),
        )


async def _secretariat_listing(update: Update, context: ConveneContext) -> None:
    t = context.t
    meetings: list[Meeting] = await context.services.meetings.listing(upcoming=True)
    if not meetings:
        await reply(update, t.gettext("No upcoming meetings. Create one with /newmeeting."))
        return
    lines = [t.gettext("<b>Upcoming meetings</b> (for /status, /export, /editmeeting):")]
    for meeting in meetings:
        values = {
            "number": str(meeting.id),
            "title": meeting.title,
            "period": t.period(meeting.starts_at, meeting.ends_at, context.timezone),
        }
        if meeting.status.value == "cancelled":
            lines.append(t.gettext("#{number} {title}, {period} (cancelled)", **values))
        else:
            lines.append(t.gettext("#{number} {title}, {period}", **values))
    await reply_lines(update, lines)


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(on_answer, pattern=r"^rsvp:"))
    app.add_handler(CallbackQueryHandler(on_comment_button, pattern=r"^rsvc:"))
    app.add_handler(CallbackQueryHandler(on_substitute, pattern=r"^rsvs:"))
    app.add_handler(CallbackQueryHandler(on_calendar, pattern=r"^ics:"))
    app.add_handler(CommandHandler("meetings", my_meetings, filters=PRIVATE))
