"""Reminders, escalations and digests as each recipient reads them; the sweep job.

What a reminder says is decided when it is sent, from the current state: a reminder for an
answer given in the meantime is not sent at all (its planned rows are dropped when the
answer arrives; this covers the moments in between).
"""

from __future__ import annotations

import logging

from bot.context import ConveneContext
from bot.delivery import Part, TextPart
from bot.domain.models import (
    Delivery,
    Notice,
    ReminderStep,
    ReminderSubject,
    StepKind,
    SubjectKind,
)
from bot.domain.reminders import meeting_reminder_due, request_reminder_due
from bot.domain.request_models import Party, PartyKind
from bot.domain.requests import RequestError
from bot.i18n import Translator
from bot.services import Services
from handlers.common import escape, keyboard, split_message
from handlers.meeting_cards import card_buttons as meeting_buttons
from handlers.meeting_cards import card_text as meeting_text
from handlers.request_cards import party_label, render_card

logger = logging.getLogger(__name__)


async def render_reminder(
    services: Services, t: Translator, notice: Notice, delivery: Delivery, timezone: str
) -> list[Part] | None:
    subject, step = str(notice.changes["subject"]), str(notice.changes["step"])
    about, reminder = ReminderSubject.stored(subject), ReminderStep.stored(step)
    key, step_kind, moment = about.id, reminder.kind, reminder.moment
    now = services.clock.now()
    if about.kind is SubjectKind.MEETING:
        return await _meeting(services, t, delivery, step_kind, timezone)
    user_id = delivery.telegram_user_id
    if step_kind in (StepKind.BEFORE, StepKind.OVERDUE):
        try:
            owed = await services.requests.view(key, user_id)
        except RequestError:
            return None
        if not request_reminder_due(owed.response, owed.request.deadline, moment):
            return None  # answered meanwhile, or the deadline moved (newer reminders follow)
        if step_kind is StepKind.BEFORE:
            heading = t.gettext(
                "⏰ <b>Reminder</b>: an answer is due {relative}.",
                relative=t.relative(owed.request.deadline - now),
            )
        else:
            heading = t.gettext(
                "⚠️ <b>Past due</b>: this was due {deadline}. Please send it as soon as you can.",
                deadline=t.datetime(owed.request.deadline, timezone),
            )
        return [await render_card(services, t, owed, timezone, heading)]
    if step_kind is StepKind.ESCALATE:
        found = await services.requests.escalation_view(key, user_id)
        if found is None:
            return None
        escalated, owing = found
        lines = [
            t.gettext("⚠️ <b>Deadline passed without an answer</b>"),
            "",
            t.gettext(
                "“{title}” was due {deadline}. Still not answered by:",
                title=escalated.request.text_for(t.locale)[0].title,
                deadline=t.datetime(escalated.request.deadline, timezone),
            ),
            *[f"• {party_label(t, r.party, escalated)}" for r in owing],
            "",
            t.gettext("As the focal point or chair concerned, please see that it is answered."),
        ]
        return [TextPart(part) for part in split_message(lines)]
    if step_kind is StepKind.DIGEST:
        report = await services.requests.report(key)
        if report is None:
            return None
        unanswered = [r for r in report.responses if r.owed]
        if not unanswered:
            return None
        by_country: dict[str, list[str]] = {}
        for response in unanswered:
            party = Party.stored(response.party)
            if party.kind is PartyKind.COUNTRY:
                country = party.key
            elif party.kind is PartyKind.MEMBER:
                country = report.member_countries.get(party.id, "")
            else:
                country = ""
            by_country.setdefault(country, []).append(party_label(t, response.party, report))
        lines = [
            t.gettext(
                "📋 <b>Deadline passed</b>: #{number} “{title}”",
                number=str(key),
                title=report.request.title,
            ),
            t.gettext("Due {deadline}.", deadline=t.datetime(report.request.deadline, timezone)),
            t.gettext(
                "{owed} of {total} have not answered:",
                owed=len(unanswered),
                total=len(report.responses),
            ),
        ]
        for country in sorted(by_country, key=lambda c: (c == "", c)):
            label = t.country(country) if country else t.gettext("Teams")
            lines.append(f"<b>{escape(label)}</b>: " + ", ".join(by_country[country]))
        markup = keyboard([[(t.gettext("Status"), f"rqs:{key}")]])
        parts = split_message(lines)  # a long list of who has not answered: several messages
        last = len(parts) - 1
        return [TextPart(part, markup if i == last else None) for i, part in enumerate(parts)]
    logger.warning("Unknown reminder step %s", step)
    return None


async def _meeting(
    services: Services, t: Translator, delivery: Delivery, step_kind: StepKind, timezone: str
) -> list[Part] | None:
    view = await services.notices.recipient_view(delivery)
    if view is None or view.meeting is None or view.invitation is None:
        return None
    meeting, invitation = view.meeting, view.invitation
    now = services.clock.now()
    if not meeting_reminder_due(step_kind, invitation):
        return None
    if step_kind is StepKind.BEFORE:
        heading = t.gettext(
            "⏰ <b>Reminder</b>: please answer this invitation by {deadline}.",
            deadline=t.datetime(meeting.rsvp_deadline, timezone),
        )
    else:
        heading = t.gettext(
            "⏰ <b>Reminder</b>: the meeting starts {relative}.",
            relative=t.relative(meeting.starts_at - now),
        )
    text = meeting_text(t, meeting, invitation, timezone, now, heading)
    return [TextPart(text, meeting_buttons(t, meeting, invitation))]


async def sweep(context: ConveneContext) -> None:
    """The repeating job: plan what is newly due, hand due reminders to the worker."""
    report = await context.services.reminders.sweep()
    if report.queued and context.bot_data.worker is not None:
        context.bot_data.worker.wake()
    if report.queued or report.skipped or report.escalated or report.occurrences:
        logger.info(
            "Reminder sweep: %s queued, %s skipped, %s escalated, %s new obligations",
            report.queued,
            report.skipped,
            report.escalated,
            report.occurrences,
        )
