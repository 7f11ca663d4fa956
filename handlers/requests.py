"""Requests as members answer them: `/requests`, the card's buttons, typed and filed answers.

An answer is given on the card: a button per option, or "Write the answer" / "Send
documents" and then a message or files. Replying to the card with text or files works
too. Files are kept by Telegram file id at once and downloaded to CONVENE_FILES_DIR
after the answer is saved (a failed download loses nothing: the file id stays).
"""

from __future__ import annotations

import contextlib
import logging
import re
from pathlib import Path

from telegram import Message, Update
from telegram.constants import FileSizeLimit
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.context import ConveneContext
from bot.domain.answers import Answered, OwedAnswer
from bot.domain.pending import Feature, Pending
from bot.domain.requests import RequestError, RequestProblem
from bot.domain.values import parse_id
from bot.i18n import Translator
from handlers.common import (
    LABEL_BUDGET,
    PRIVATE,
    alert,
    keyboard,
    label_width,
    reply,
    reply_lines,
    require_viewer,
    split_message,
)
from handlers.request_cards import problem_text, render_card, status_lines

logger = logging.getLogger(__name__)

# Files and replies to a card sent with nothing asked: after the input router (group 1).
GROUP_REQUEST_INPUT = 2
BUTTON = re.compile(r"^rq:([0-9]{1,19}):(v|t|d|x|o:[0-9]{1,2})$")
STATUS_BUTTON = re.compile(r"^rqs:([0-9]{1,19})$")
CARD_DATA = re.compile(r"^rq:([0-9]{1,19}):")
# Under a file sent without saying for which request: "it is for this one".
FILE_BUTTON = re.compile(r"^rqf:([0-9]{1,19})$")
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


# -- /requests ------------------------------------------------------------------------------


async def requests_command(update: Update, context: ConveneContext) -> None:
    """List what the member must answer, and for the secretariat every open request."""
    user = update.effective_user
    assert user is not None
    services, t = context.services, context.t
    timezone = context.timezone
    now = services.clock.now()
    mine = await services.requests.mine(user.id)
    principal = await services.roster.principal(user.id)
    scope = principal.scope
    if not mine and scope is None:
        if not principal.is_active_member:
            await reply(update, t.gettext("You are not allowed to use this command."))
        else:
            await reply(update, t.gettext("You have no open requests."))
        return
    if mine:
        lines = [t.gettext("<b>Your requests</b>")]
        buttons = []
        for owed in mine:
            title = owed.request.text_for(t.locale)[0].title
            if owed.response.answered:
                mark = "✅"
            elif owed.request.deadline <= now:
                mark = "⚠️"
            else:
                mark = "⏳"
            lines.append(
                t.gettext(
                    "{mark} {title} (due {deadline})",
                    mark=mark,
                    title=title,
                    deadline=t.datetime(owed.request.deadline, timezone),
                )
            )
            buttons.append([(f"{mark} {title[:40]}", f"rq:{owed.request.id}:v")])
        lines += ["", t.gettext("✅ answered · ⏳ open · ⚠️ overdue. Press one to open it.")]
        await reply_lines(update, lines, keyboard(buttons[:30]))
    elif principal.is_active_member:
        await reply(update, t.gettext("You have no open requests."))
    if scope is not None:
        listing = await services.requests.listing()
        if not scope.everything:
            listing = [r for r in listing if await services.requests.report(r.id, scope)]
        if not listing:
            await reply(update, t.gettext("No requests are open."))
            return
        lines = [t.gettext("<b>Open requests (secretariat)</b>")]
        buttons = []
        for request in listing[:30]:
            lines.append(
                t.gettext(
                    "#{number} {title} (due {deadline})",
                    number=str(request.id),
                    title=request.title,
                    deadline=t.datetime(request.deadline, timezone),
                )
            )
            buttons.append([(f"#{request.id} {request.title[:40]}", f"rqs:{request.id}")])
        await reply_lines(update, lines, keyboard(buttons))


async def on_status_button(update: Update, context: ConveneContext) -> None:
    """The secretariat's status of one request."""
    query = update.callback_query
    assert query is not None
    match = STATUS_BUTTON.match(query.data or "")
    scope = await require_viewer(update, context)
    if scope is None:
        return
    request_id = parse_id(match.group(1)) if match else None
    report = await context.services.requests.report(request_id, scope) if request_id else None
    if report is None:
        await alert(update, context.t.gettext("This request no longer exists."))
        return
    await query.answer()
    lines = status_lines(context.t, report, context.timezone, context.services.clock.now())
    for part in split_message(lines):
        await reply(update, part)


# -- answering ------------------------------------------------------------------------------


async def on_button(update: Update, context: ConveneContext) -> None:
    """Open a card, choose an option, or start a typed or filed answer."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    services, t = context.services, context.t
    match = BUTTON.match(query.data or "")
    request_id = parse_id(match.group(1)) if match else None
    if match is None or request_id is None:
        await alert(update, t.gettext("This button is no longer valid."))
        return
    action = match.group(2)
    timezone = context.timezone
    try:
        if action == "v":
            owed = await services.requests.view(request_id, user.id)
            await query.answer()
            part = await render_card(services, t, owed, timezone)
            await reply(update, part.text, reply_markup=part.markup)
            return
        if action.startswith("o:"):
            answered = await services.requests.answer_choice(request_id, user.id, int(action[2:]))
            await query.answer(_saved_text(t, answered))
            await _redraw(update, context, answered.owed)
            return
        if action == "x":
            owed = await services.requests.clear_documents(request_id, user.id)
            await query.answer(t.gettext("The documents were withdrawn; the answer is owed again."))
            await _redraw(update, context, owed)
            return
        owed = await services.requests.check_open(request_id, user.id)
    except RequestError as error:
        await alert(update, problem_text(t, error))
        if action != "v":  # "v" is pressed in the /requests list, not on the card
            await _close_card(update, context, request_id, error)
        return
    await query.answer()
    await services.pending.ask(user.id, Feature.REQUEST, subject=request_id)
    title = owed.request.text_for(t.locale)[0].title
    if action == "t":
        text = t.gettext("Type your answer to “{title}” now, as one message.", title=title)
    else:
        text = t.gettext(
            "Send the documents for “{title}” now, as files. Each file you send is added "
            "to your answer.",
            title=title,
        )
    await context.bot.send_message(user.id, text)


def _saved_text(t: Translator, answered: Answered) -> str:
    if not answered.changed:
        return t.gettext("Your answer is unchanged.")
    if answered.late:
        return t.gettext("Saved, after the deadline: it is marked late.")
    return t.gettext("Saved. You can change it until the deadline.")


async def _redraw(update: Update, context: ConveneContext, owed: OwedAnswer) -> None:
    """Show the card with the current answer where it was pressed."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    part = await render_card(context.services, context.t, owed, context.timezone)
    with contextlib.suppress(BadRequest):  # "message is not modified", or too old to edit
        await query.edit_message_text(part.text, reply_markup=part.markup)


async def _close_card(
    update: Update, context: ConveneContext, request_id: int, error: RequestError
) -> None:
    """A card pressed after its deadline, or after the request was withdrawn, is redrawn
    as it is now: without the buttons that can no longer be used."""
    query = update.callback_query
    user = update.effective_user
    if query is None or query.message is None or user is None:
        return
    if error.problem is RequestProblem.LATE:
        with contextlib.suppress(RequestError):
            await _redraw(
                update, context, await context.services.requests.view(request_id, user.id)
            )
    elif error.problem is RequestProblem.CANCELLED:
        with contextlib.suppress(BadRequest):
            await query.edit_message_reply_markup(None)


def _target(context: ConveneContext, message: Message, pending: Pending | None) -> int | None:
    """The request this message answers: the card it replies to, else the one waited for."""
    replied = message.reply_to_message
    ours = replied is not None and replied.from_user is not None
    if ours and replied.from_user.id == context.bot.id and replied.reply_markup is not None:  # type: ignore[union-attr]
        for row in replied.reply_markup.inline_keyboard:  # type: ignore[union-attr]
            for button in row:
                found = CARD_DATA.match(str(button.callback_data or ""))
                if found:
                    return parse_id(found.group(1))
    return pending.subject_id if pending is not None else None


async def on_input(update: Update, context: ConveneContext, pending: Pending) -> bool:
    """After “Answer” or “Send documents”: the text is the answer, each file is added
    (handlers/pending.py routes them here)."""
    message = update.effective_message
    if message is None:
        return False
    if message.text is not None:
        return await _text_answer(update, context, pending)
    return await _file_answer(update, context, pending)


async def on_text(update: Update, context: ConveneContext) -> None:
    """Text replying to a request's card, with nothing asked, is the answer to it."""
    if await _text_answer(update, context, None):
        raise ApplicationHandlerStop


async def _text_answer(update: Update, context: ConveneContext, pending: Pending | None) -> bool:
    message = update.effective_message
    user = update.effective_user
    if message is None or message.text is None or user is None:
        return False
    request_id = _target(context, message, pending)
    if request_id is None:
        return False
    services, t = context.services, context.t
    try:
        answered = await services.requests.answer_text(request_id, user.id, message.text)
    except RequestError as error:
        # Another kind of answer, too long, empty: said, and the request still waits.
        keep = (RequestProblem.TOO_LONG, RequestProblem.EMPTY, RequestProblem.WRONG_KIND)
        if error.problem not in keep:
            await services.pending.clear(user.id, Feature.REQUEST)
        await reply(update, problem_text(t, error))
        return True
    await services.pending.clear(user.id, Feature.REQUEST)
    await _confirm(update, context, answered)
    return True


FileMeta = tuple[str, str, str | None, str | None, int | None]


def _file_of(message: Message) -> FileMeta | None:
    """(file id, unique id, name, MIME type, size) of the document or photo in a message."""
    if message.document is not None:
        document = message.document
        return (
            document.file_id,
            document.file_unique_id,
            document.file_name,
            document.mime_type,
            document.file_size,
        )
    if message.photo:
        photo = message.photo[-1]  # the largest size
        name = f"photo-{photo.file_unique_id}.jpg"
        return (photo.file_id, photo.file_unique_id, name, "image/jpeg", photo.file_size)
    return None


async def on_file(update: Update, context: ConveneContext) -> None:
    """A document or photo sent with nothing asked: for the card it replies to, or else
    the one documents request open for the member (with several: ask which)."""
    if await _file_answer(update, context, None):
        raise ApplicationHandlerStop


async def _file_answer(update: Update, context: ConveneContext, pending: Pending | None) -> bool:
    """A document or photo: for the request waiting for files, the card it replies to, or
    else the one documents request open for the member (with several: ask which)."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return False
    meta = _file_of(message)
    if meta is None:
        return False
    services, t = context.services, context.t
    request_id = _target(context, message, pending)
    if request_id is None:
        waiting = await services.requests.waiting_for_documents(user.id)
        if not waiting:
            return False  # not an answer to anything: the fallback says so
        if len(waiting) > 1:
            rows = [
                [
                    (
                        _one_row_label(owed.request.text_for(t.locale)[0].title),
                        f"rqf:{owed.request.id}",
                    )
                ]
                for owed in waiting[:10]
            ]
            await message.reply_text(
                t.gettext("For which request is this file?"),
                reply_markup=keyboard(rows),
                do_quote=True,
            )
            return True
        request_id = waiting[0].request.id
    try:
        await _add_file(update, context, request_id, meta)
    except RequestError as error:
        await reply(update, problem_text(t, error))
    return True


def _one_row_label(title: str) -> str:
    """A title as a button alone in its row: shortened with "…" where a phone would cut it."""
    title = " ".join(title.split())
    while label_width(title) > LABEL_BUDGET[1]:
        title = title[: len(title) - (label_width(title) - LABEL_BUDGET[1]) - 1].rstrip() + "…"
    return title


async def on_file_button(update: Update, context: ConveneContext) -> None:
    """The request a file sent without one is for: the file is the message the question
    quotes, and must be the presser's own."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    t = context.t
    match = FILE_BUTTON.match(query.data or "")
    request_id = parse_id(match.group(1)) if match else None
    # An old message comes as an InaccessibleMessage, without what it replied to.
    quoted = getattr(query.message, "reply_to_message", None)
    ours = quoted is not None and quoted.from_user is not None and quoted.from_user.id == user.id
    meta = _file_of(quoted) if quoted is not None and ours else None
    if request_id is None or meta is None:
        await alert(update, t.gettext("This button is no longer valid."))
        return
    try:
        answered = await _add_file(update, context, request_id, meta, confirm=False)
    except RequestError as error:
        await alert(update, problem_text(t, error))
        return
    await query.answer(_saved_text(t, answered))
    with contextlib.suppress(BadRequest):
        await query.edit_message_reply_markup(None)
    await _confirm(update, context, answered)


async def _add_file(
    update: Update,
    context: ConveneContext,
    request_id: int,
    meta: FileMeta,
    *,
    confirm: bool = True,
) -> Answered:
    """Add the file to the member's answer, confirm (unless the caller does), keep a copy."""
    user = update.effective_user
    assert user is not None
    file_id, unique_id, name, mime, size = meta
    answered = await context.services.requests.add_document(
        request_id,
        user.id,
        file_id=file_id,
        file_unique_id=unique_id,
        file_name=name,
        mime_type=mime,
        file_size=size,
    )
    if confirm:
        await _confirm(update, context, answered)
    if answered.file_row_id is not None:
        await _download(context, request_id, answered.file_row_id, file_id, name, size)
    return answered


async def _confirm(update: Update, context: ConveneContext, answered: Answered) -> None:
    t = context.t
    owed = answered.owed
    title = owed.request.text_for(t.locale)[0].title
    if not answered.changed:
        text = t.gettext("Your answer is unchanged.")
    elif answered.late:
        text = t.gettext(
            "Thank you: your answer to “{title}” is saved. It came after the deadline and "
            "is marked late.",
            title=title,
        )
    else:
        text = t.gettext(
            "Thank you: your answer to “{title}” is saved. You can change it until the deadline.",
            title=title,
        )
    part = await render_card(context.services, t, owed, context.timezone)
    await reply(update, text)
    await reply(update, part.text, reply_markup=part.markup)


async def _download(
    context: ConveneContext,
    request_id: int,
    file_row_id: int,
    file_id: str,
    name: str | None,
    size: int | None,
) -> None:
    """Keep a copy in CONVENE_FILES_DIR. The Bot API serves files up to 20 MB; larger ones
    stay on Telegram, reachable by their file id (the export lists them)."""
    if size is not None and size > FileSizeLimit.FILESIZE_DOWNLOAD:
        logger.info("File %s of request %s is too big to download", file_row_id, request_id)
        return
    folder = Path(context.services.settings.files_dir) / "requests" / str(request_id)
    safe = SAFE_NAME.sub("_", name or "document").strip("._") or "document"
    path = folder / f"{file_row_id}-{safe[:100]}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        telegram_file = await context.bot.get_file(file_id)
        await telegram_file.download_to_drive(path)
    except (TelegramError, OSError):
        logger.warning("Could not download file %s of request %s", file_row_id, request_id)
        return
    await context.services.requests.set_file_path(file_row_id, str(path))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("requests", requests_command, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^rq:"))
    app.add_handler(CallbackQueryHandler(on_status_button, pattern=r"^rqs:"))
    app.add_handler(CallbackQueryHandler(on_file_button, pattern=r"^rqf:"))
    app.add_handler(
        MessageHandler(PRIVATE & filters.TEXT & ~filters.COMMAND, on_text),
        group=GROUP_REQUEST_INPUT,
    )
    app.add_handler(
        MessageHandler(PRIVATE & (filters.Document.ALL | filters.PHOTO), on_file),
        group=GROUP_REQUEST_INPUT,
    )
