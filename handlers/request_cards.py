"""How a request reads: the card a member answers from, and the secretariat's status.

Shared by the delivery renderer (request cards, reminders), the buttons (which redraw
the card with the current answer), `/requests` and `/plan`.
"""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardMarkup

from bot.domain.answers import OwedAnswer
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
from bot.i18n import Raw, Translator
from handlers.common import chunked, escape, fit, keyboard, share_room, shorten


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


def may_change(request: Request, now: datetime) -> bool:
    return request.status is RequestStatus.OPEN and (now <= request.deadline or request.accept_late)


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
    if may_change(request, now):
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
    if not may_change(request, now) or response.status is ResponseStatus.NOT_APPLICABLE:
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
