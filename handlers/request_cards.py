"""How a request reads: the card a member answers from, and the secretariat's status.

Shared by the delivery renderer (request cards, reminders), the buttons (which redraw
the card with the current answer), `/requests` and `/plan`.
"""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardMarkup

from bot.delivery import Part, TextPart
from bot.domain.answers import OwedAnswer
from bot.domain.models import Delivery, Notice
from bot.domain.request_models import (
    AnswerKind,
    Party,
    PartyKind,
    Request,
    RequestStatus,
    Response,
    ResponseStatus,
)
from bot.domain.request_status import RequestReport
from bot.domain.requests import RequestError, RequestProblem
from bot.i18n import Raw, Translator
from bot.services import Services
from handlers.common import (
    chunked,
    escape,
    fit,
    keyboard,
    share_room,
    shorten,
)


def party_label(t: Translator, party: str, report: RequestReport | None = None) -> str:
    """A country's name, a member's name (and country), or a team's name, as HTML: the
    names are escaped here, so the label goes into a message as it is (or as `Raw`)."""
    owner = Party.stored(party)
    if owner.kind is PartyKind.COUNTRY:
        return escape(t.country(owner.key))
    if owner.kind is PartyKind.MEMBER and report is not None:
        member_id = owner.id
        name = report.member_names.get(member_id, f"#{member_id}")
        country = report.member_countries.get(member_id)
        if not country:
            return escape(name)
        return t.gettext("{name} ({country})", name=name, country=country)
    if owner.kind is PartyKind.TEAM and report is not None:
        return escape(report.team_names.get(owner.id, owner.key))
    return escape(party)


def deadline_line(t: Translator, request: Request, timezone: str, now: datetime) -> str:
    when = t.datetime(request.deadline, timezone)
    if request.deadline > now:
        return t.gettext(
            "Deadline: {deadline} ({relative})",
            deadline=when,
            relative=t.relative(request.deadline - now),
        )
    return t.gettext("Deadline: {deadline} (passed)", deadline=when)


def answer_summary(
    t: Translator, request: Request, response: Response, room: int | None = None
) -> str | None:
    """What was answered, in the reader's language where the options are translated; a
    typed answer or the list of files kept to `room` characters."""
    text, _ = request.text_for(t.locale)
    choice = response.choice
    if request.answer_kind is AnswerKind.CHOICE and choice is not None:
        return t.gettext("Answer: {answer}", answer=text.options[choice % len(text.options)])
    if request.answer_kind is AnswerKind.TEXT and response.text:
        return t.gettext("Answer: {answer}", answer=shorten(response.text, room))
    if request.answer_kind is AnswerKind.DOCUMENTS and response.files:
        names = shorten(", ".join(f.file_name or f.file_unique_id for f in response.files), room)
        return t.ngettext(
            "{n} document: {names}", "{n} documents: {names}", len(response.files), names=names
        )
    return None


def status_line(
    t: Translator, owed: OwedAnswer, timezone: str, now: datetime, room: int | None = None
) -> list[str]:
    request, response = owed.request, owed.response
    if response.status is ResponseStatus.NOT_APPLICABLE:
        return [t.gettext("Not applicable (set by the secretariat).")]
    if response.owed:
        if request.deadline > now:
            return [t.gettext("⏳ Not answered yet.")]
        if request.accept_late:
            return [t.gettext("⚠️ Overdue. A late answer is still accepted and marked late.")]
        return [t.gettext("⚠️ Overdue. Answers are no longer accepted.")]
    assert response.answered_at is not None
    when = t.datetime(response.answered_at, timezone)
    name = owed.answered_by or "—"
    if response.status is ResponseStatus.LATE:
        lines = [t.gettext("⌛ Answered late by {name}, {when}.", name=name, when=when)]
    else:
        lines = [t.gettext("✅ Answered by {name}, {when}.", name=name, when=when)]
    summary = answer_summary(t, request, response, room)
    if summary:
        lines.append(summary)
    return lines


def card_text(
    t: Translator,
    owed: OwedAnswer,
    timezone: str,
    now: datetime,
    heading: str | None = None,
    source: str | None = None,
) -> str:
    """The request as this member sees it. `source` names the action plan, if any. A long
    body and answer are shortened to fit one message (the status and exports have them)."""
    request = owed.request
    text, _ = request.text_for(t.locale)
    answer = owed.response.text or ", ".join(
        f.file_name or f.file_unique_id for f in owed.response.files
    )

    def build(room: int | None) -> str:
        body_room, answer_room = share_room((text.body or "", answer), room)
        return _card_text(t, owed, timezone, now, heading, source, body_room, answer_room)

    return fit(build)


def _card_text(
    t: Translator,
    owed: OwedAnswer,
    timezone: str,
    now: datetime,
    heading: str | None,
    source: str | None,
    body_room: int | None,
    answer_room: int | None,
) -> str:
    request, response = owed.request, owed.response
    text, untranslated = request.text_for(t.locale)
    body = shorten(text.body or "", body_room)
    lines = [heading, ""] if heading else []
    lines.append(f"<b>{escape(text.title)}</b>")
    if source:
        lines.append(f"<i>{source}</i>")
    if untranslated:
        lines.append(
            t.gettext(
                "<i>Not translated into your language; the original ({language}) follows.</i>",
                language=t.language_name(request.ref_locale),
            )
        )
    if body:
        lines += ["", escape(body)]
    lines += ["", deadline_line(t, request, timezone, now)]
    party = Party.stored(response.party)
    if party.kind is PartyKind.COUNTRY:
        lines.append(
            t.gettext(
                "One answer for {country}: any member of the delegation may give it.",
                country=t.country(party.key),
            )
        )
    elif party.kind is PartyKind.TEAM:
        lines.append(t.gettext("One answer for your team: any member of it may give it."))
    if request.status is RequestStatus.CANCELLED:
        lines += ["", t.gettext("This request was withdrawn by the secretariat.")]
        return "\n".join(lines)
    if request.accepts_answers(now):
        how = {
            AnswerKind.CHOICE: t.gettext("Choose your answer below."),
            AnswerKind.TEXT: t.gettext(
                "Press “Write the answer” and type it, or reply to this message."
            ),
            AnswerKind.DOCUMENTS: t.gettext(
                "Send the documents here as files, or reply to this message with them."
            ),
        }[request.answer_kind]
        lines.append(how)
    lines += ["", *status_line(t, owed, timezone, now, answer_room)]
    return "\n".join(lines)


def card_buttons(t: Translator, owed: OwedAnswer, now: datetime) -> InlineKeyboardMarkup | None:
    request, response = owed.request, owed.response
    if not request.accepts_answers(now) or response.status is ResponseStatus.NOT_APPLICABLE:
        return None
    prefix = f"rq:{request.id}"
    if request.answer_kind is AnswerKind.CHOICE:
        options, _ = request.text_for(t.locale)
        chosen = response.choice if response.answered else None
        buttons = [
            (("✓ " if index == chosen else "") + label, f"{prefix}:o:{index}")
            for index, label in enumerate(options.options)
        ]
        return keyboard(chunked(buttons, 2))
    if request.answer_kind is AnswerKind.TEXT:
        label = (
            t.gettext("Amend the answer") if response.answered else t.gettext("Write the answer")
        )
        return keyboard([[(label, f"{prefix}:t")]])
    rows = [[(t.gettext("Send documents"), f"{prefix}:d")]]
    if response.files:
        rows.append([(t.gettext("Withdraw the documents"), f"{prefix}:x")])
    return keyboard(rows)


def status_lines(t: Translator, report: RequestReport, timezone: str, now: datetime) -> list[str]:
    """The secretariat's view: who answered, who has not, by party."""
    request = report.request
    total = len(report.responses)
    answered = [r for r in report.responses if r.answered]
    owed = [r for r in report.responses if r.owed]
    na = [r for r in report.responses if r.status is ResponseStatus.NOT_APPLICABLE]
    late = [r for r in answered if r.status is ResponseStatus.LATE]
    lines = [
        t.gettext("<b>Request #{number}: {title}</b>", number=str(request.id), title=request.title),
        deadline_line(t, request, timezone, now),
    ]
    if request.status is RequestStatus.CANCELLED:
        lines.append(t.gettext("This request was withdrawn by the secretariat."))
    lines += [
        t.gettext(
            "{answered} of {total} answered ({late} late), {na} not applicable.",
            answered=len(answered),
            total=total,
            late=len(late),
            na=len(na),
        ),
    ]
    if owed:
        lines += ["", t.gettext("<b>Not answered</b>")]
        for response in owed:
            label = party_label(t, response.party, report)
            if Party.stored(response.party).kind is PartyKind.COUNTRY:
                count = report.answerers.get(response.party, 0)
                label += " · " + t.ngettext(
                    "{n} member may answer", "{n} members may answer", count
                )
            lines.append(label)
    if answered:
        lines += ["", t.gettext("<b>Answered</b>")]
        for response in answered:
            assert response.answered_at is not None
            by = report.member_names.get(response.answered_by or 0, "—")
            line = t.gettext(
                "{party}: {name}, {when}",
                party=Raw(party_label(t, response.party, report)),
                name=by,
                when=t.datetime(response.answered_at, timezone),
            )
            if response.status is ResponseStatus.LATE:
                line += " " + t.pgettext("answer", "(late)")
            summary = answer_summary(t, request, response)
            lines.append(line + (f"\n    {summary}" if summary else ""))
    return lines


def problem_text(t: Translator, error: RequestError) -> str:
    """Why an answer was not taken. Only the text of the problem at hand is built: the
    value of one problem (an answer kind) is not the number another one needs."""
    problem = error.problem
    if problem is RequestProblem.NOT_FOUND:
        return t.gettext("This request no longer exists.")
    if problem is RequestProblem.CANCELLED:
        return t.gettext("This request was withdrawn by the secretariat.")
    if problem is RequestProblem.NOT_YOURS:
        return t.gettext("This request is not addressed to you.")
    if problem is RequestProblem.LATE:
        return t.gettext(
            "The deadline has passed and this request no longer accepts answers. If you "
            "still need to answer, please write to the secretariat."
        )
    if problem is RequestProblem.WRONG_KIND:
        return expected_text(t, error.value)
    if problem is RequestProblem.EMPTY:
        return t.gettext("The answer is empty.")
    if problem is RequestProblem.TOO_LONG:
        return t.gettext("That is too long: at most {n} characters.", n=_number(error.value))
    if problem is RequestProblem.TOO_MANY_FILES:
        return t.gettext(
            "At most {n} documents can be sent for one answer.", n=_number(error.value)
        )
    return t.gettext("This button is no longer valid.")


def expected_text(t: Translator, kind: str) -> str:
    """What a request of this answer kind expects, said to someone who gave another kind."""
    if kind == AnswerKind.TEXT.value:
        return t.gettext(
            "This request expects a written answer: press “Write the answer” on its card and "
            "type it, or reply to the card with your text."
        )
    if kind == AnswerKind.DOCUMENTS.value:
        return t.gettext("This request expects documents: send them here as files.")
    if kind == AnswerKind.CHOICE.value:
        return t.gettext("This request expects a choice: press one of the buttons on its card.")
    return t.gettext("This request expects another kind of answer.")


def _number(value: str) -> int:
    return int(value) if value.isascii() and value.isdigit() else 0


async def source_label(services: Services, t: Translator, owed: OwedAnswer) -> str | None:
    found = await services.plans.item_of(owed.request)
    if found is None:
        return None
    plan, item = found
    return t.gettext("Action plan “{plan}”, item {ref}", plan=plan.title, ref=item.ref)


async def render_card(
    services: Services, t: Translator, owed: OwedAnswer, timezone: str, heading: str | None = None
) -> TextPart:
    now = services.clock.now()
    source = await source_label(services, t, owed)
    return TextPart(card_text(t, owed, timezone, now, heading, source), card_buttons(t, owed, now))


async def render_request_notice(
    services: Services, t: Translator, notice: Notice, delivery: Delivery, timezone: str
) -> list[Part] | None:
    """A new request's card, or the card saying its deadline moved."""
    assert notice.request_id is not None
    try:
        owed = await services.requests.view(notice.request_id, delivery.telegram_user_id)
    except RequestError:
        return None  # withdrawn, or the recipient is no longer a member
    moved = notice.changes.get("deadline_from")
    if moved:
        heading = t.gettext(
            "🗓 <b>The deadline has moved</b>: {old} → {new}",
            old=t.datetime(datetime.fromisoformat(str(moved)), timezone),
            new=t.datetime(owed.request.deadline, timezone),
        )
        if not owed.response.owed:
            return None
    else:
        heading = t.gettext("📝 <b>Request from the secretariat</b>")
    return [await render_card(services, t, owed, timezone, heading)]
