"""The secretariat's view: `/status <meeting>`, and `/export` of a meeting, request or plan."""

from __future__ import annotations

import logging

from telegram import InputFile, Update
from telegram.ext import Application, CommandHandler

from bot.context import ConveneContext
from bot.domain.exports import ExportKind
from bot.domain.models import Answer
from bot.domain.reports import MeetingStatus
from bot.domain.values import parse_id
from bot.i18n import Translator
from handlers.common import (
    PRIVATE,
    escape,
    not_a_number,
    number_argument,
    reply,
    require_viewer,
    split_message,
    undelivered_lines,
)

logger = logging.getLogger(__name__)


def count_label(t: Translator, answer: Answer, n: int) -> str:
    """How many gave an answer, headed the way a report says it ("In person: 3"), not in
    the member's own words on the button ("I will attend in person")."""
    labels = {
        Answer.IN_PERSON: t.pgettext("answer count", "In person: {n}", n=n),
        Answer.ONLINE: t.pgettext("answer count", "Online: {n}", n=n),
        Answer.TENTATIVE: t.pgettext("answer count", "Not sure yet: {n}", n=n),
        Answer.NOT_ATTENDING: t.pgettext("answer count", "Not attending: {n}", n=n),
    }
    return labels[answer]


def _count_line(t: Translator, status: MeetingStatus) -> list[str]:
    counts = status.by_answer
    lines = [
        count_label(t, answer, counts.get(answer.value, 0)) for answer in status.meeting.answers
    ]
    lines.append(t.gettext("No answer yet: {n}", n=counts.get("", 0)))
    if status.to_confirm:
        lines.append(t.gettext("To confirm again (the date changed): {n}", n=status.to_confirm))
    return lines


# /status reads at a glance whatever the audience (at most 3 messages): the counts, and the
# first names of each list; /export has every name.
NAMES_SHOWN = 30


def status_text(t: Translator, status: MeetingStatus, timezone: str) -> list[str]:
    meeting = status.meeting
    lines = [
        t.gettext(
            "<b>#{number} {title}</b>\n{period}",
            number=str(meeting.id),
            title=meeting.title,
            period=t.period(meeting.starts_at, meeting.ends_at, timezone),
        ),
        t.gettext(
            "Answers due by {deadline}.", deadline=t.datetime(meeting.rsvp_deadline, timezone)
        ),
        "",
        t.ngettext("<b>{n} invited</b>", "<b>{n} invited</b>", status.invited),
        *_count_line(t, status),
        "",
        t.gettext("<b>By country</b>"),
    ]
    short = {
        Answer.IN_PERSON.value: t.pgettext("short", "in person"),
        Answer.ONLINE.value: t.pgettext("short", "online"),
        Answer.TENTATIVE.value: t.pgettext("short", "not sure"),
        Answer.NOT_ATTENDING.value: t.pgettext("short", "not coming"),
        "": t.pgettext("short", "no answer"),
    }
    for country, counts in status.by_country.items():
        parts = [f"{short[key]} {t.number(value)}" for key, value in counts.items() if value]
        lines.append(f"{escape(t.country(country))}: " + ", ".join(parts))
    if status.unanswered:
        lines += ["", t.gettext("<b>Not answered yet</b>")]
        lines += [
            t.gettext("{name} ({country})", name=m.full_name, country=m.country)
            for m in status.unanswered
        ]
        more = status.by_answer.get("", 0) - len(status.unanswered)
        if more > 0:
            lines.append(t.ngettext("… and {count} more.", "… and {count} more.", more, count=more))
    delivery = status.counts
    lines += [
        "",
        t.gettext(
            "<b>Delivery</b>: {sent} sent, {pending} waiting, {failed} failed, "
            "{unreachable} unreachable.",
            sent=delivery.sent,
            pending=delivery.pending,
            failed=delivery.failed,
            unreachable=delivery.unreachable,
        ),
    ]
    lines += undelivered_lines(t, status.failed, total=delivery.failed)
    if status.notices:
        lines.append(
            t.gettext(
                "<b>Notices</b> (numbers for /proof): {numbers}",
                numbers=", ".join(f"#{n.id}" for n in status.notices),
            )
        )
    asking = [n for n in status.notices if n.ack_required]
    if asking:
        lines.append(
            t.gettext(
                "<b>Receipts</b>: {acknowledged} of {total} acknowledged.",
                acknowledged=delivery.acknowledged,
                total=sum(n.total for n in asking),
            )
        )
    return lines


async def status(update: Update, context: ConveneContext) -> None:
    """Answers per option and per country, who has not answered, and delivery counts."""
    t = context.t
    scope = await require_viewer(update, context)
    if scope is None:
        return
    number = await number_argument(
        update, context, t.gettext("Usage: /status NUMBER (see /meetings).")
    )
    if number is None:
        return
    report = await context.services.reports.status(number, scope, names=NAMES_SHOWN)
    if report is None:
        await reply(update, t.gettext("There is no meeting #{number}.", number=str(number)))
        return
    timezone = context.timezone
    for part in split_message(status_text(t, report, timezone)):
        await reply(update, part)


async def export(update: Update, context: ConveneContext) -> None:
    """A meeting, a request or an action plan, as CSV and as XLSX (a focal point's or a
    chair's part of it, for them)."""
    scope = await require_viewer(update, context)
    if scope is None:
        return
    t = context.t
    services = context.services
    user = update.effective_user
    assert user is not None
    args = [a.lower() for a in context.args or []]
    usage = t.gettext(
        "Usage: /export NUMBER for a meeting, /export request NUMBER, /export plan NUMBER."
    )
    kind = args[0] if len(args) == 2 else "meeting"
    if (
        not args
        or len(args) > 2
        or kind
        not in (
            "meeting",
            "request",
            "plan",
        )
    ):
        await reply(update, usage)
        return
    number = parse_id(args[-1])
    if number is None:
        await reply(update, not_a_number(t, args[-1]) + "\n\n" + usage)
        return
    made = await services.exports.export(ExportKind(kind), number, scope=scope, actor=user.id)
    if kind == "meeting":
        missing = t.gettext("There is no meeting #{number}.", number=str(number))
        caption = t.gettext(
            "Meeting #{number}: attendance, answers and delivery log.", number=str(number)
        )
    elif kind == "request":
        missing = t.gettext("There is no request #{number}.", number=str(number))
        caption = t.gettext("Request #{number}: answers and documents.", number=str(number))
    else:
        missing = t.gettext("There is no action plan #{number}.", number=str(number))
        caption = t.gettext("Action plan #{number}: every obligation.", number=str(number))
    if made is None:
        await reply(update, missing)
        return
    csv_file, xlsx_file = await made.files()
    await context.bot.send_document(
        user.id, InputFile(csv_file, filename=f"{made.name}.csv"), caption=caption
    )
    await context.bot.send_document(user.id, InputFile(xlsx_file, filename=f"{made.name}.xlsx"))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("status", status, filters=PRIVATE))
    app.add_handler(CommandHandler("export", export, filters=PRIVATE))
