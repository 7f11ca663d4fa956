"""Notices: what each recipient's message says, the sender's progress, `/announce`, receipts.

`render_delivery` turns one `deliveries` row into the messages for that recipient, in
their language and time zone; the delivery worker (bot/delivery.py) sends them.
"""

from __future__ import annotations

import contextlib
import logging
import re
from datetime import UTC, datetime
from typing import Any

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
)

from bot.context import ConveneContext
from bot.delivery import TextPart
from bot.domain.models import (
    Audience,
    Delivery,
    DeliveryState,
    Notice,
    NoticeKind,
    NoticeStatus,
)
from bot.domain.notices import (
    AnnouncementSpec,
    NoticeError,
    NoticeProblem,
    parse_audience,
)
from bot.domain.pending import Feature, Pending
from bot.domain.values import parse_id
from bot.i18n import Translator
from handlers.common import (
    PRIVATE,
    alert,
    keyboard,
    number_argument,
    reply,
    require_admin,
)
from handlers.delivery import announcement_parts, start_progress

logger = logging.getLogger(__name__)

ACK = re.compile(r"^ack:([0-9]{1,19})$")
DIALOG = "announce"


# -- what a recipient gets ------------------------------------------------------------------


# -- acknowledging receipt ------------------------------------------------------------------


async def on_ack(update: Update, context: ConveneContext) -> None:
    """Record that the member received the notice; the button then shows it."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    t = context.t
    match = ACK.match(query.data or "")
    delivery_id = parse_id(match.group(1)) if match else None
    delivery = (
        await context.services.notices.acknowledge(delivery_id, user.id)
        if delivery_id is not None
        else None
    )
    if delivery is None or delivery.acknowledged_at is None:
        await alert(update, t.gettext("This button is not valid for you."))
        return
    await query.answer(t.gettext("Thank you: your receipt is recorded."))
    timezone = context.timezone
    label = t.gettext("✓ Received {time}", time=t.datetime(delivery.acknowledged_at, timezone))
    with contextlib.suppress(BadRequest):
        await query.edit_message_reply_markup(keyboard([[(label, f"ack:{delivery.id}")]]))


# -- /announce ------------------------------------------------------------------------------


def notice_problem_text(t: Translator, error: NoticeError) -> str:
    problem = error.problem
    if problem is NoticeProblem.UNKNOWN_TEAM:
        return t.gettext("There is no team “{team}”.", team=error.value)
    if problem is NoticeProblem.COUNTRY:
        return t.gettext("“{value}” is not a two-letter ISO country code.", value=error.value)
    if problem is NoticeProblem.ROLE:
        return t.gettext(
            "“{value}” is not a role; use chair, member, observer or focal.", value=error.value
        )
    if problem is NoticeProblem.TOO_LONG:
        return t.gettext(
            "That is too long (at most {max} characters). Please try again.",
            max=int(error.value or 0),
        )
    if problem is NoticeProblem.EMPTY:
        return t.gettext("That is too short. Please try again.")
    if problem is NoticeProblem.NOBODY:
        return t.gettext("Nobody matches this audience, so nothing was sent.")
    if problem is NoticeProblem.UNKNOWN_MEMBER:
        return t.gettext("There is no member #{number}.", number=error.value)
    if problem is NoticeProblem.UNKNOWN_MEETING:
        return t.gettext("There is no meeting #{number}.", number=error.value)
    return t.gettext(
        "Usage: /announce AUDIENCE [ack] [restricted], where AUDIENCE is any of "
        "team=SLUG,… country=CC,… role=chair|member|observer|focal member=NUMBER,… "
        "meeting=NUMBER (its invitees) or all."
    )


async def announce(update: Update, context: ConveneContext) -> None:
    """Start an announcement: check the audience, then ask for the text."""
    principal = await require_admin(update, context)
    if principal is None:
        return
    t = context.t
    words = list(context.args or [])
    ack = "ack" in [w.lower() for w in words]
    restricted = "restricted" in [w.lower() for w in words]
    words = [w for w in words if w.lower() not in {"ack", "restricted"}]
    try:
        audience = await context.services.notices.check_audience(parse_audience(words))
    except NoticeError as error:
        await reply(update, notice_problem_text(t, error))
        return
    data = {
        "audience": audience.as_json(),
        "ack": ack,
        "restricted": restricted,
        "locale": t.locale,
    }
    await _save(context, principal.telegram_user_id, "text", data)
    await reply(
        update,
        t.gettext(
            "Send me the text of the announcement, in {language}. Send /cancel to stop.",
            language=t.language_name(t.locale),
        ),
    )


async def _save(context: ConveneContext, user_id: int, step: str, data: dict[str, Any]) -> None:
    await context.services.pending.ask(user_id, Feature.ANNOUNCEMENT, step=step, data=data)


async def _load(context: ConveneContext, user_id: int) -> tuple[str, dict[str, Any]] | None:
    found = await context.services.pending.of(user_id, Feature.ANNOUNCEMENT)
    return None if found is None else (found.step or "", found.data)


async def _drop(context: ConveneContext, user_id: int) -> None:
    await context.services.pending.clear(user_id, Feature.ANNOUNCEMENT)


def _spec(data: dict[str, Any]) -> AnnouncementSpec:
    return AnnouncementSpec(
        body=data.get("body", ""),
        audience=Audience.from_json(data["audience"]),
        ref_locale=data.get("locale", "en"),
        document_file_id=data.get("file_id"),
        document_name=data.get("file_name"),
        ack_required=bool(data.get("ack")),
        restricted=bool(data.get("restricted")),
    )


async def on_input(update: Update, context: ConveneContext, pending: Pending) -> bool:
    """The text, then the optional document, of an announcement being written
    (handlers/pending.py routes them here)."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return False
    step, data = pending.step or "", pending.data
    t = context.t
    if await require_admin(update, context) is None:
        await _drop(context, user.id)
        return True
    if step == "text":
        if not message.text:
            await reply(update, t.gettext("Please send the text as a message."))
            return True
        data["body"] = message.text
        await _save(context, user.id, "document", data)
        await reply(
            update,
            t.gettext("Send a document to attach (PDF, Word…), or press “No document”."),
            reply_markup=keyboard([[(t.gettext("No document"), "ann:nodoc")]]),
        )
        return True
    if step == "document":
        if message.document is None:
            await reply(update, t.gettext("Please send a file, or press “No document”."))
            return True
        data["file_id"] = message.document.file_id
        data["file_name"] = message.document.file_name or "document"
        await _save(context, user.id, "preview", data)
        await _preview(update, context, data)
        return True
    await reply(update, t.gettext("Please press “Send” or “Cancel” above."))
    return True


async def _preview(update: Update, context: ConveneContext, data: dict[str, Any]) -> None:
    t = context.t
    spec = _spec(data)
    sample = Notice(
        id=0,
        kind=NoticeKind.ANNOUNCEMENT,
        meeting_id=None,
        body=spec.body,
        ref_locale=spec.ref_locale,
        translations={},
        changes={},
        audience=spec.audience,
        document_file_id=spec.document_file_id,
        document_name=spec.document_name,
        document_path=None,
        ack_required=spec.ack_required,
        restricted=spec.restricted,
        status=NoticeStatus.SENDING,
        total=0,
        created_by=None,
        progress_chat_id=None,
        progress_message_id=None,
        created_at=context.services.clock.now(),
        finished_at=None,
    )
    parts = announcement_parts(t, sample, _preview_delivery())
    first = parts[0]
    assert isinstance(first, TextPart)
    lines = [
        t.gettext("<b>Preview</b>: this is what each recipient will read, in their language."),
        "",
        first.text,
    ]
    if spec.document_name:
        lines += ["", t.gettext("Attached: {name}", name=spec.document_name)]
    await reply(
        update,
        "\n".join(lines),
        reply_markup=keyboard(
            [[(t.gettext("Send"), "ann:send"), (t.gettext("Cancel"), "ann:cancel")]]
        ),
    )


def _preview_delivery() -> Delivery:
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    return Delivery(0, 0, 0, 0, DeliveryState.PENDING, 0, 0, epoch, None, None, None, None, None)


async def on_announce_button(update: Update, context: ConveneContext) -> None:
    """No document, Send, or Cancel."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    t = context.t
    if await require_admin(update, context) is None:
        return
    found = await _load(context, user.id)
    action = (query.data or "").removeprefix("ann:")
    if found is None:
        await alert(update, t.gettext("This button is no longer valid."))
        return
    step, data = found
    if action == "cancel":
        await query.answer()
        await _drop(context, user.id)
        await reply(update, t.gettext("Cancelled: nothing was sent."))
        return
    if action == "nodoc" and step == "document":
        await query.answer()
        await _save(context, user.id, "preview", data)
        await _preview(update, context, data)
        return
    if action == "send" and step == "preview":
        await query.answer()
        try:
            notice_id, total = await context.services.notices.announce(
                _spec(data), created_by=user.id, progress_chat_id=None
            )
        except NoticeError as error:
            await reply(update, notice_problem_text(t, error))
            return
        await _drop(context, user.id)
        with contextlib.suppress(BadRequest):
            await query.edit_message_reply_markup(None)
        await start_progress(context, update, notice_id, total)
        return
    await alert(update, t.gettext("This button is no longer valid."))


# -- /resend ----------------------------------------------------------------------------------


async def resend(update: Update, context: ConveneContext) -> None:
    """Send a notice again to exactly those it did not reach: `/resend NUMBER`."""
    principal = await require_admin(update, context)
    if principal is None:
        return
    t, services = context.t, context.services
    number = await number_argument(
        update,
        context,
        t.gettext(
            "Usage: /resend NUMBER, the number of a notice: it goes again to exactly "
            "those it did not reach."
        ),
    )
    if number is None:
        return
    count = await services.notices.resend(number, actor=principal.telegram_user_id)
    if count is None:
        await reply(update, t.gettext("There is no notice #{number}.", number=str(number)))
        return
    if count == 0:
        await reply(
            update,
            t.gettext(
                "Notice #{number} has reached everyone it could: there is nobody to send it "
                "to again.",
                number=str(number),
            ),
        )
        return
    counts = await services.notices.counts(number)
    await start_progress(context, update, number, count, counts=counts)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("announce", announce, filters=PRIVATE))
    app.add_handler(CommandHandler("resend", resend, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(on_announce_button, pattern=r"^ann:"))
    app.add_handler(CallbackQueryHandler(on_ack, pattern=r"^ack:"))
