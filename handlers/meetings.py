"""The secretariat writes a meeting in a guided dialog: `/newmeeting`, `/editmeeting`, `/cancelmeeting`.

One question per step; what is typed is kept as the author's pending input
(bot/domain/pending.py), so a restart
loses nothing. The last step is a preview of the card exactly as an invitee will read
it, with buttons to change any field, switch options, and publish. Publishing (or
saving an edit) goes through the domain, which checks everything again.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable
from typing import Any

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
)

from bot.context import ConveneContext
from bot.domain.meeting_drafts import (
    SKIPPABLE,
    STEPS,
    draft_of,
    next_step,
    spec_of,
    take_answer,
)
from bot.domain.meetings import (
    MAX_TITLE,
    MIN_TITLE,
    MeetingError,
    Problem,
    meeting_from_spec,
)
from bot.domain.models import Meeting, MeetingMode, MeetingStatus
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
    visible_length,
)
from handlers.delivery import start_progress, wake_worker
from handlers.meeting_cards import card_text, mode_label

logger = logging.getLogger(__name__)

DIALOG = "meeting"
CANCEL = re.compile(r"^mtgc:([0-9]{1,19})$")


def prompt(t: Translator, step: str, data: dict[str, Any]) -> str:
    timezone = data.get("timezone", "")
    prompts = {
        "title": t.gettext("What is the title of the meeting?"),
        "description": t.gettext("A short description (or press “Skip”)."),
        "agenda": t.gettext("The agenda, one item per line (or press “Skip”)."),
        "timezone": t.gettext(
            "In which time zone are the times of the meeting? Send a city or a zone such as "
            "Europe/Belgrade, or press the button."
        ),
        "start": t.gettext(
            "When does it start? For example 2026-12-10 09:30 or 10.12.2026 9:30 ({timezone}).",
            timezone=timezone,
        ),
        "end": t.gettext(
            "When does it end? A date and time, or only a time (such as 17:00) for the same "
            "day ({timezone}).",
            timezone=timezone,
        ),
        "mode": t.gettext("How will it be held?"),
        "venue": t.gettext("The venue, e.g. “Palace of Justice, room 3” (or press “Skip”)."),
        "city": t.gettext("The city (or press “Skip”)."),
        "country": t.gettext(
            "The host country, as a two-letter code such as RS (or press “Skip”)."
        ),
        "link": t.gettext("The link to join online (https://…)."),
        "audience": t.gettext(
            "Who is invited? Any of team=SLUG,… country=CC,… member=NUMBER,… or all, "
            "optionally narrowed with role=chair|member|observer. For example: team=criminal "
            "country=MK"
        ),
        "deadline": t.gettext(
            "By when must members answer? A date, or a date and time ({timezone}). Press "
            "“Skip” for seven days before the start.",
            timezone=timezone,
        ),
    }
    return prompts[step]


def step_buttons(t: Translator, step: str, timezone: str) -> Any:
    """The buttons under a step's question; `timezone` is the author's, offered as is."""
    if step == "mode":
        return keyboard([[(mode_label(t, mode), f"mtg:mode:{mode.value}")] for mode in MeetingMode])
    if step == "timezone":
        return keyboard([[(t.gettext("Use {timezone}", timezone=timezone), "mtg:tz")]])
    if step in SKIPPABLE:
        # The step rides along: a second tap, once the next question is asked, is refused
        # instead of skipping that one too.
        return keyboard([[(t.gettext("Skip"), f"mtg:skip:{step}")]])
    return None


# -- storage of the dialog ------------------------------------------------------------------


async def _save(context: ConveneContext, user_id: int, step: str, data: dict[str, Any]) -> None:
    await context.services.pending.ask(user_id, Feature.MEETING, step=step, data=data)


async def _load(context: ConveneContext, user_id: int) -> tuple[str, dict[str, Any]] | None:
    found = await context.services.pending.of(user_id, Feature.MEETING)
    return None if found is None else (found.step or "", found.data)


async def _drop(context: ConveneContext, user_id: int) -> None:
    await context.services.pending.clear(user_id, Feature.MEETING)


# -- the steps ------------------------------------------------------------------------------


async def new_meeting(update: Update, context: ConveneContext) -> None:
    """Start writing a meeting: the first question."""
    principal = await require_admin(update, context)
    if principal is None:
        return
    data: dict[str, Any] = {"ref_locale": context.t.locale}
    await _save(context, principal.telegram_user_id, "title", data)
    await reply(
        update,
        context.t.gettext("A new meeting. Send /cancel at any time to stop.")
        + "\n\n"
        + prompt(context.t, "title", data),
    )


async def _ask(update: Update, context: ConveneContext, step: str, data: dict[str, Any]) -> None:
    user = update.effective_user
    assert user is not None
    await _save(context, user.id, step, data)
    if step == "preview":
        await _preview(update, context, data)
        return
    t = context.t
    await reply(update, prompt(t, step, data), reply_markup=step_buttons(t, step, context.timezone))


def _meeting_problem(t: Translator, error: MeetingError) -> str:
    """What is wrong, in the reader's words. Only the text of the problem at hand is built:
    the value of one problem (a country typed) is not the number another one needs."""
    problem = error.problem
    texts: dict[Problem, Callable[[], str]] = {
        Problem.TITLE: lambda: t.gettext(
            "A title needs {min} to {max} characters.", min=MIN_TITLE, max=MAX_TITLE
        ),
        Problem.TEXT_TOO_LONG: lambda: t.gettext(
            "That is too long (at most {max} characters). Please try again.",
            max=_number(error.value),
        ),
        Problem.START: lambda: t.gettext(
            "I could not read that date and time. Please write it like 2026-12-10 09:30 or "
            "10.12.2026 9:30."
        ),
        Problem.START_PAST: lambda: t.gettext("The meeting must start in the future."),
        Problem.END_BEFORE_START: lambda: t.gettext("The end must be after the start."),
        Problem.TIMEZONE: lambda: t.gettext(
            "I could not find that time zone. Please send a name such as Europe/Skopje "
            "or a city such as Skopje."
        ),
        Problem.PLACE_MISSING: lambda: t.gettext("An in-person meeting needs a venue or a city."),
        Problem.LINK: lambda: t.gettext("Please send a link starting with https:// or http://."),
        Problem.COUNTRY: lambda: t.gettext(
            "“{value}” is not a two-letter ISO country code.", value=error.value
        ),
        Problem.AUDIENCE_EMPTY: lambda: t.gettext(
            "Please say who is invited: team=SLUG,… country=CC,… member=NUMBER,… or all, "
            "optionally with role=chair|member|observer."
        ),
        Problem.UNKNOWN_TEAM: lambda: t.gettext("There is no team “{team}”.", team=error.value),
        Problem.UNKNOWN_MEMBER: lambda: t.gettext(
            "There is no member #{number}.", number=error.value
        ),
        Problem.DEADLINE_PAST: lambda: t.gettext("The deadline for answers must be in the future."),
        Problem.DEADLINE_AFTER_START: lambda: t.gettext(
            "The deadline for answers must be before the meeting starts."
        ),
        Problem.CANCELLED: lambda: t.gettext("This meeting has been cancelled."),
        Problem.NOT_FOUND: lambda: t.gettext("There is no meeting #{number}.", number=error.value),
    }
    text = texts.get(problem)
    return text() if text is not None else t.gettext("Please check the meeting's details.")


def _number(value: str) -> int:
    return int(value) if value.isascii() and value.isdigit() else 0


async def _take(
    update: Update, context: ConveneContext, step: str, data: dict[str, Any], text: str | None
) -> None:
    """Store the answer to `step` (None: skipped) and move on, or say what is wrong."""
    now = context.services.clock.now()
    try:
        take_answer(step, text, data, now, data.get("timezone") or context.timezone)
    except MeetingError as error:
        await reply(update, _meeting_problem(context.t, error))
        return
    await _ask(update, context, next_step(step, data), data)


async def on_input(update: Update, context: ConveneContext, pending: Pending) -> bool:
    """Typed answers to the dialog's questions (handlers/pending.py routes them here)."""
    message = update.effective_message
    user = update.effective_user
    if message is None or message.text is None or user is None:
        return False
    if await require_admin(update, context) is None:
        await _drop(context, user.id)
        return True
    step, data = pending.step or "", pending.data
    if step == "preview":
        await reply(update, context.t.gettext("Please use the buttons under the preview."))
    elif step == "mode":
        await reply(update, context.t.gettext("Please choose one of the buttons."))
    else:
        await _take(update, context, step, data, message.text)
    return True


async def _preview(update: Update, context: ConveneContext, data: dict[str, Any]) -> None:
    """The card as invitees will read it, the audience size, and the buttons."""
    t = context.t
    services = context.services
    original = await services.meetings.get(data["meeting_id"]) if data.get("meeting_id") else None
    spec = spec_of(data, original)
    now = services.clock.now()
    sample = meeting_from_spec(spec, now, meeting_id=original.id if original else 0)
    invited = await services.notices.count_members(spec.audience)
    heading = t.gettext("<b>Preview</b>: this is what each invitee will read, in their language.")
    footer = t.ngettext("Invited: {n} member", "Invited: {n} members", invited)
    reserve = visible_length(heading) + visible_length(footer) + 4  # and the blank lines
    lines = [
        heading,
        "",
        card_text(t, sample, None, context.timezone, now, reserve=reserve),
        "",
        footer,
    ]
    on, off = t.gettext("on"), t.gettext("off")
    publish = t.gettext("Save and notify") if original else t.gettext("Publish")
    buttons = [
        [
            (
                t.gettext("“Not sure yet”: {state}", state=on if spec.tentative else off),
                "mtg:opt:tentative",
            ),
            (
                t.gettext("Ask for a comment: {state}", state=on if spec.ask_comment else off),
                "mtg:opt:comment",
            ),
        ],
        [
            (t.gettext("Title"), "mtg:edit:title"),
            (t.gettext("Description"), "mtg:edit:description"),
            (t.gettext("Agenda"), "mtg:edit:agenda"),
        ],
        [
            (t.gettext("Start"), "mtg:edit:start"),
            (t.gettext("End"), "mtg:edit:end"),
            (t.gettext("Time zone"), "mtg:edit:timezone"),
        ],
        [
            (t.gettext("Format"), "mtg:edit:mode"),
            (t.gettext("Place"), "mtg:edit:venue"),
            (t.gettext("Link"), "mtg:edit:link"),
        ],
        [
            (t.gettext("Invited"), "mtg:edit:audience"),
            (t.gettext("Deadline"), "mtg:edit:deadline"),
        ],
        [(publish, "mtg:publish"), (t.gettext("Discard"), "mtg:discard")],
    ]
    await reply(update, "\n".join(lines), reply_markup=keyboard(buttons))


async def on_meeting_button(update: Update, context: ConveneContext) -> None:
    """Skip, a choice, an option switch, a field to change, publish or discard."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    t = context.t
    if await require_admin(update, context) is None:
        return
    found = await _load(context, user.id)
    if found is None:
        await alert(update, t.gettext("This button is no longer valid."))
        return
    step, data = found
    action = (query.data or "").removeprefix("mtg:")
    if action == f"skip:{step}" and step in SKIPPABLE:
        await query.answer()
        await _take(update, context, step, data, None)
    elif action == "tz" and step == "timezone":
        await query.answer()
        await _take(update, context, step, data, context.timezone)
    elif action.startswith("mode:") and step == "mode":
        try:
            data["mode"] = MeetingMode(action.removeprefix("mode:")).value
        except ValueError:
            await alert(update, t.gettext("This button is no longer valid."))
            return
        await query.answer()
        if data.get("review"):
            # A new format may need a place or a link that was not asked before: ask for
            # them, then come back to the preview.
            data["review"] = False
            data["until"] = "country" if data["mode"] == MeetingMode.IN_PERSON.value else "link"
        await _ask(update, context, next_step("mode", data), data)
    elif action.startswith("opt:") and step == "preview":
        key = {"opt:tentative": "tentative", "opt:comment": "ask_comment"}.get(action)
        if key is None:
            await alert(update, t.gettext("This button is no longer valid."))
            return
        await query.answer()
        data[key] = not data.get(key)
        await _save(context, user.id, step, data)
        with contextlib.suppress(BadRequest):
            await query.edit_message_reply_markup(None)
        await _preview(update, context, data)
    elif action.startswith("edit:") and step == "preview":
        field = action.removeprefix("edit:")
        if field not in STEPS:
            await alert(update, t.gettext("This button is no longer valid."))
            return
        await query.answer()
        data["review"] = True
        await _ask(update, context, field, data)
    elif action == "discard":
        await query.answer()
        await _drop(context, user.id)
        with contextlib.suppress(BadRequest):
            await query.edit_message_reply_markup(None)
        await reply(update, t.gettext("Discarded: nothing was sent."))
    elif action == "publish" and step == "preview":
        await query.answer()
        await _publish(update, context, data)
    else:
        await alert(update, t.gettext("This button is no longer valid."))


async def _publish(update: Update, context: ConveneContext, data: dict[str, Any]) -> None:
    user = update.effective_user
    assert user is not None
    t = context.t
    services = context.services
    meeting_id = data.get("meeting_id")
    try:
        if meeting_id:
            original = await services.meetings.get(meeting_id)
            outcome = await services.meetings.edit(
                meeting_id, spec_of(data, original), edited_by=user.id
            )
        else:
            outcome = await services.meetings.announce(spec_of(data, None), created_by=user.id)
    except MeetingError as error:
        await reply(update, _meeting_problem(t, error))
        return
    await _drop(context, user.id)
    query = update.callback_query
    if query is not None:
        with contextlib.suppress(BadRequest):
            await query.edit_message_reply_markup(None)
    number = str(outcome.meeting.id)
    if meeting_id and outcome.notice_id is None:
        await reply(
            update,
            t.gettext(
                "Meeting #{number} saved. Nothing that invitees must be told changed, so no "
                "update was sent.",
                number=number,
            ),
        )
        if outcome.invited:
            wake_worker(context)  # the newly invited get the invitation
        return
    await reply(
        update,
        t.gettext("Meeting #{number} saved.", number=number)
        if meeting_id
        else t.gettext(
            "Meeting #{number} published. Use /status {number} to follow the answers.",
            number=number,
        ),
    )
    if outcome.notice_id is not None:
        notice = await services.notices.get(outcome.notice_id)
        await start_progress(context, update, outcome.notice_id, notice.total if notice else 0)


async def _open_meeting(update: Update, context: ConveneContext, usage: str) -> Meeting | None:
    """The meeting named by the command's argument, if it may still be changed; else None
    after saying why. `usage` is shown when the argument is missing or not a number."""
    t = context.t
    number = await number_argument(update, context, usage)
    if number is None:
        return None
    meeting = await context.services.meetings.get(number)
    if meeting is None:
        await reply(update, t.gettext("There is no meeting #{number}.", number=str(number)))
        return None
    if meeting.status is MeetingStatus.CANCELLED:
        await reply(update, t.gettext("This meeting has been cancelled."))
        return None
    return meeting


async def edit_meeting(update: Update, context: ConveneContext) -> None:
    """Open a meeting's preview with its buttons, to change it."""
    principal = await require_admin(update, context)
    if principal is None:
        return
    usage = context.t.gettext("Usage: /editmeeting NUMBER (see /meetings).")
    meeting = await _open_meeting(update, context, usage)
    if meeting is None:
        return
    data = draft_of(meeting)
    await _save(context, principal.telegram_user_id, "preview", data)
    await _preview(update, context, data)


async def cancel_meeting(update: Update, context: ConveneContext) -> None:
    """Ask for confirmation before cancelling a meeting."""
    if await require_admin(update, context) is None:
        return
    t = context.t
    meeting = await _open_meeting(
        update, context, t.gettext("Usage: /cancelmeeting NUMBER (see /meetings).")
    )
    if meeting is None:
        return
    await reply(
        update,
        t.gettext("Cancel “{title}”? Every invitee will be told.", title=meeting.title),
        reply_markup=keyboard([[(t.gettext("Yes, cancel the meeting"), f"mtgc:{meeting.id}")]]),
    )


async def on_cancel_button(update: Update, context: ConveneContext) -> None:
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    t = context.t
    if await require_admin(update, context) is None:
        return
    match = CANCEL.match(query.data or "")
    meeting_id = parse_id(match.group(1)) if match else None
    if meeting_id is None:
        await alert(update, t.gettext("This button is no longer valid."))
        return
    try:
        outcome = await context.services.meetings.cancel(meeting_id, cancelled_by=user.id)
    except MeetingError as error:
        await alert(update, _meeting_problem(t, error))
        return
    await query.answer()
    with contextlib.suppress(BadRequest):
        await query.edit_message_reply_markup(None)
    await reply(update, t.gettext("Meeting #{number} cancelled.", number=str(outcome.meeting.id)))
    if outcome.notice_id is not None:
        await start_progress(context, update, outcome.notice_id, outcome.invited)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("newmeeting", new_meeting, filters=PRIVATE))
    app.add_handler(CommandHandler("editmeeting", edit_meeting, filters=PRIVATE))
    app.add_handler(CommandHandler("cancelmeeting", cancel_meeting, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(on_meeting_button, pattern=r"^mtg:"))
    app.add_handler(CallbackQueryHandler(on_cancel_button, pattern=r"^mtgc:"))
