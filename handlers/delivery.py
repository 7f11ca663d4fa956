"""The Telegram side of delivery: each queued notice rendered for its recipient, in their
language and time zone (the worker in bot/delivery.py sends what this returns), and the
sender's progress message edited while a notice goes out, with its final summary.

What a notice is, who gets it and when it is finished are decided in bot/domain/notices.py;
this module only renders.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from telegram import Update
from telegram.error import BadRequest, TelegramError

from bot.context import ConveneContext
from bot.delivery import DocumentPart, Part, TextPart
from bot.domain.calendar import meeting_ics
from bot.domain.models import (
    Delivery,
    DeliveryCounts,
    Meeting,
    Notice,
    NoticeKind,
)
from bot.domain.notices import (
    Outcome,
)
from bot.i18n import Raw, Translator
from bot.services import Services
from handlers.common import (
    escape,
    keyboard,
    reply,
)
from handlers.meeting_cards import (
    cancellation_text,
    card_buttons,
    card_text,
    heading_for,
    update_text,
)
from handlers.reminders import render_reminder
from handlers.request_cards import render_request_notice

logger = logging.getLogger(__name__)


def ics_part(services: Services, t: Translator, meeting: Meeting) -> DocumentPart:
    text, _ = meeting.text_for(t.locale)
    content = meeting_ics(meeting, text, now=services.clock.now(), domain="convene.invalid")
    return DocumentPart(filename=f"meeting-{meeting.id}.ics", content=content)


async def render_delivery(services: Services, delivery: Delivery) -> list[Part] | None:
    """The messages of one delivery, for its recipient; None if there is nothing to send."""
    found = await services.notices.recipient_view(delivery)
    if found is None:
        return None
    notice, account, meeting, invitation = (
        found.notice,
        found.account,
        found.meeting,
        found.invitation,
    )
    t = services.i18n.translator(account.locale if account else None)
    timezone = (account.timezone if account else None) or services.settings.timezone
    now = services.clock.now()
    if notice.kind is NoticeKind.ANNOUNCEMENT:
        return announcement_parts(t, notice, delivery)
    if notice.kind is NoticeKind.REQUEST:
        return await render_request_notice(services, t, notice, delivery, timezone)
    if notice.kind is NoticeKind.REMINDER:
        return await render_reminder(services, t, notice, delivery, timezone)
    if notice.kind is NoticeKind.REPORT:
        return await report_parts(services, t, notice)
    assert meeting is not None
    if notice.kind is NoticeKind.CANCELLATION:
        text, markup = cancellation_text(t, meeting, timezone), None
    elif notice.kind is NoticeKind.UPDATE:
        text = update_text(t, notice, meeting, invitation, timezone, now)
        markup = card_buttons(t, meeting, invitation, now) if invitation else None
    else:
        text = card_text(t, meeting, invitation, timezone, now, heading_for(t, notice, meeting))
        markup = card_buttons(t, meeting, invitation, now) if invitation else None
    return [TextPart(text, markup), ics_part(services, t, meeting)]


async def report_parts(services: Services, t: Translator, report: Notice) -> list[Part] | None:
    outcome = await services.notices.outcome(int(report.body))
    if outcome is None:
        return None
    subject = outcome.notice
    meeting = await services.meetings.get(subject.meeting_id) if subject.meeting_id else None
    return [TextPart(failure_report(t, notice_label(t, subject, meeting), outcome))]


def announcement_parts(t: Translator, notice: Notice, delivery: Delivery) -> list[Part]:
    body, untranslated = notice.body_for(t.locale)
    lines = [t.gettext("📢 <b>Announcement from the secretariat</b>"), ""]
    if untranslated:
        lines += [
            t.gettext(
                "<i>Not translated into your language; the original ({language}) follows.</i>",
                language=t.language_name(notice.ref_locale),
            ),
            "",
        ]
    lines.append(escape(body))
    if notice.restricted:
        lines += ["", t.gettext("<i>Restricted: this message cannot be forwarded or saved.</i>")]
    markup = None
    if notice.ack_required:
        lines += ["", t.gettext("Please confirm that you received this.")]
        markup = keyboard([[(t.gettext("Acknowledge receipt"), f"ack:{delivery.id}")]])
    parts: list[Part] = [TextPart("\n".join(lines), markup, protect=notice.restricted)]
    if notice.document_file_id or notice.document_path:
        parts.append(
            DocumentPart(
                filename=notice.document_name or "document",
                file_id=notice.document_file_id,
                path=None if notice.document_file_id else notice.document_path,
                notice_id=notice.id,
                protect=notice.restricted,
            )
        )
    return parts


# -- the sender's progress ----------------------------------------------------------------------


def notice_label(t: Translator, notice: Notice, meeting: Meeting | None) -> str:
    if meeting is not None and notice.kind is not NoticeKind.ANNOUNCEMENT:
        title = meeting.text_for(t.locale)[0].title
        if notice.kind is NoticeKind.UPDATE:
            return t.gettext("update of “{title}”", title=title)
        if notice.kind is NoticeKind.CANCELLATION:
            return t.gettext("cancellation of “{title}”", title=title)
        return t.gettext("invitation to “{title}”", title=title)
    excerpt = notice.body if len(notice.body) <= 40 else notice.body[:39] + "…"
    return t.gettext("announcement “{excerpt}”", excerpt=excerpt)


def progress_text(
    t: Translator, label: str, counts: DeliveryCounts, total: int, *, waiting: bool = False
) -> str:
    """`label` is a notice_label: HTML already, so it goes in as it is."""
    if counts.finished:
        return t.gettext(
            "<b>Sent:</b> {what}\n{sent} of {total} delivered, {failed} failed, "
            "{unreachable} unreachable (they blocked the bot).",
            what=Raw(label),
            sent=counts.sent,
            total=total,
            failed=counts.failed,
            unreachable=counts.unreachable,
        )
    text = t.gettext(
        "<b>Sending:</b> {what}\n{sent} of {total} sent, {failed} failed, "
        "{unreachable} unreachable, {pending} waiting…",
        what=Raw(label),
        sent=counts.sent,
        total=total,
        failed=counts.failed,
        unreachable=counts.unreachable,
        pending=counts.pending,
    )
    if waiting:
        text += "\n" + t.gettext(
            "Telegram is not answering at the moment; the rest goes out as soon as it does."
        )
    return text


def failure_report(t: Translator, label: str, outcome: Outcome) -> str:
    """What the sender is told, once, when a notice ended without reaching everyone."""
    counts = outcome.counts
    lines = [
        t.ngettext(
            "⚠️ Notice #{number} ({what}) could not be delivered to {count} recipient.",
            "⚠️ Notice #{number} ({what}) could not be delivered to {count} recipients.",
            counts.failed,
            number=str(outcome.notice.id),
            what=Raw(label),
            count=counts.failed,
        ),
        t.gettext("Telegram's reasons:"),
    ]
    lines += [f"• {escape(reason or '?')}: {count}" for reason, count in outcome.reasons.items()]
    if counts.unreachable:
        lines.append(
            t.ngettext(
                "Besides, {count} recipient has blocked the bot.",
                "Besides, {count} recipients have blocked the bot.",
                counts.unreachable,
                count=counts.unreachable,
            )
        )
    lines += [
        "",
        t.gettext(
            "To send it again to exactly those it did not reach: /resend {number}",
            number=str(outcome.notice.id),
        ),
    ]
    return "\n".join(lines)


class ProgressReporter:
    """Edits each sender's progress message while a notice goes out; the final summary;
    and, once, a report to the sender when a notice ended with failed deliveries.

    Run by a repeating job. It reads only the database, so it picks up where it was after a
    restart, and marking a notice finished is conditional, so of two processes one reports.
    """

    def __init__(
        self,
        services: Services,
        bot: Any,
        waiting_since: Callable[[], datetime | None] = lambda: None,
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        self.services = services
        self.bot = bot
        self.waiting_since = waiting_since  # the delivery worker's: Telegram unreachable
        self.wake = wake  # the delivery worker's: a report was queued
        self._shown: dict[int, str] = {}

    async def tick(self) -> None:
        services = self.services
        waiting = self.waiting_since() is not None
        for progress in await services.notices.in_progress():
            notice, counts = progress.notice, progress.counts
            finished = counts.finished and await services.notices.finish(notice.id)
            if finished:
                await self._finished(notice, counts)
            if notice.progress_chat_id is None or notice.progress_message_id is None:
                continue
            if counts.finished and not finished:
                continue
            account = await services.roster.account(notice.progress_chat_id)
            t = services.i18n.translator(account.locale if account else None)
            meeting = await services.meetings.get(notice.meeting_id) if notice.meeting_id else None
            text = progress_text(
                t, notice_label(t, notice, meeting), counts, notice.total, waiting=waiting
            )
            if self._shown.get(notice.id) == text:
                continue
            self._shown[notice.id] = text
            with contextlib.suppress(BadRequest):  # "message is not modified"
                try:
                    await self.bot.edit_message_text(
                        text,
                        chat_id=notice.progress_chat_id,
                        message_id=notice.progress_message_id,
                    )
                except TelegramError:
                    logger.info("Could not update the progress of notice %s", notice.id)
            if finished:
                self._shown.pop(notice.id, None)

    async def _finished(self, notice: Notice, counts: DeliveryCounts) -> None:
        """One log line per finished notice; a report to whom it concerns when some of it
        failed, queued like any notice (rendered by `render_delivery`)."""
        services = self.services
        logger.info(
            "Notice %s finished: %s sent, %s failed, %s unreachable",
            notice.id,
            counts.sent,
            counts.failed,
            counts.unreachable,
        )
        if counts.failed and await services.notices.queue_failure_report(notice.id):
            self.wake()


async def start_progress(
    context: ConveneContext,
    update: Update,
    notice_id: int,
    total: int,
    *,
    counts: DeliveryCounts | None = None,
) -> None:
    """Send the message the progress reporter edits, and wake the worker. `counts` where
    some of the notice already went out (a resend); else all `total` are waiting."""
    services = context.services
    notice = await services.notices.get(notice_id)
    if notice is None:
        return
    meeting = await services.meetings.get(notice.meeting_id) if notice.meeting_id else None
    t = context.t
    text = progress_text(
        t, notice_label(t, notice, meeting), counts or DeliveryCounts(pending=total), notice.total
    )
    sent = await reply(update, text)
    if sent is not None:
        await services.notices.set_progress_message(notice_id, sent.chat_id, sent.message_id)
    wake_worker(context)


def wake_worker(context: ConveneContext) -> None:
    worker = context.bot_data.worker
    if worker is not None:
        worker.wake()
