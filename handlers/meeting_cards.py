"""How a meeting reads: the card each invitee gets, in their language and time zone.

Shared by the delivery renderer (invitations, updates, cancellations), the RSVP
buttons (which redraw the card with the current answer) and `/meetings`.
"""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardMarkup

from bot.domain.models import (
    Answer,
    Invitation,
    Meeting,
    MeetingMode,
    MeetingStatus,
    Notice,
    NoticeKind,
)
from bot.i18n import Translator, zone
from handlers.common import escape, keyboard


def answer_label(t: Translator, answer: Answer) -> str:
    labels = {
        Answer.IN_PERSON: t.pgettext("rsvp", "I will attend in person"),
        Answer.ONLINE: t.pgettext("rsvp", "I will attend online"),
        Answer.TENTATIVE: t.pgettext("rsvp", "Not sure yet"),
        Answer.NOT_ATTENDING: t.pgettext("rsvp", "I will not attend"),
    }
    return labels[answer]


def mode_label(t: Translator, mode: MeetingMode) -> str:
    labels = {
        MeetingMode.IN_PERSON: t.pgettext("meeting format", "In person"),
        MeetingMode.ONLINE: t.pgettext("meeting format", "Online"),
        MeetingMode.HYBRID: t.pgettext("meeting format", "In person and online"),
    }
    return labels[mode]


def place_text(t: Translator, meeting: Meeting) -> str:
    parts = [meeting.venue, meeting.city]
    if meeting.host_country:
        parts.append(t.country(meeting.host_country))
    return ", ".join(p for p in parts if p)


def clocks_differ(meeting: Meeting, timezone: str) -> bool:
    """The reader's clock and the meeting's (the host's) show different times for it."""
    reader, host = zone(timezone), zone(meeting.timezone)
    return any(
        moment.astimezone(reader).utcoffset() != moment.astimezone(host).utcoffset()
        for moment in (meeting.starts_at, meeting.ends_at)
    )


def venue_time_lines(t: Translator, meeting: Meeting, timezone: str) -> list[str]:
    """The meeting's own local time, for a reader whose clock differs from the host's."""
    if not clocks_differ(meeting, timezone):
        return []
    period = t.period(meeting.starts_at, meeting.ends_at, meeting.timezone)
    if meeting.mode is MeetingMode.ONLINE:
        return [t.gettext("Host's local time: {period}", period=period)]
    return [t.gettext("Local time at the venue: {period}", period=period)]


def meeting_lines(t: Translator, meeting: Meeting, timezone: str) -> list[str]:
    """Title, texts, time, place and deadline: the body of every card."""
    text, untranslated = meeting.text_for(t.locale)
    lines = [f"<b>{escape(text.title)}</b>"]
    if untranslated:
        lines.append(
            t.gettext(
                "<i>Not translated into your language; the original ({language}) follows.</i>",
                language=t.language_name(meeting.ref_locale),
            )
        )
    if text.description:
        lines += ["", escape(text.description)]
    lines += [
        "",
        t.gettext("When: {period}", period=t.period(meeting.starts_at, meeting.ends_at, timezone)),
        *venue_time_lines(t, meeting, timezone),
        t.gettext("Format: {format}", format=mode_label(t, meeting.mode)),
    ]
    if meeting.mode is not MeetingMode.ONLINE:
        lines.append(t.gettext("Where: {place}", place=place_text(t, meeting)))
    if meeting.online_url:
        lines.append(t.gettext("Online: {link}", link=meeting.online_url))
    if text.agenda:
        lines += ["", t.gettext("<b>Agenda</b>"), escape(text.agenda)]
    return lines


def answer_lines(
    t: Translator, meeting: Meeting, invitation: Invitation | None, timezone: str, now: datetime
) -> list[str]:
    """The member's own answer and the deadline."""
    lines = [""]
    if meeting.status is MeetingStatus.CANCELLED:
        return lines[:0]
    if now < meeting.rsvp_deadline:
        lines.append(
            t.gettext(
                "Please answer by {deadline}.",
                deadline=t.datetime(meeting.rsvp_deadline, timezone),
            )
        )
    else:
        lines.append(
            t.gettext(
                "The deadline for answers ({deadline}) has passed.",
                deadline=t.datetime(meeting.rsvp_deadline, timezone),
            )
        )
    if invitation is None:
        return lines
    if invitation.answer is not None:
        lines.append(
            t.gettext("<b>Your answer:</b> {answer}", answer=answer_label(t, invitation.answer))
        )
        if invitation.needs_confirmation:
            lines.append(
                t.gettext("<b>The date has changed: please confirm your answer again.</b>")
            )
    else:
        lines.append(t.gettext("<b>You have not answered yet.</b>"))
    if invitation.comment:
        lines.append(t.gettext("Your comment: {comment}", comment=invitation.comment))
    return lines


def card_text(
    t: Translator,
    meeting: Meeting,
    invitation: Invitation | None,
    timezone: str,
    now: datetime,
    heading: str | None = None,
) -> str:
    lines = [heading] if heading else []
    lines += meeting_lines(t, meeting, timezone)
    lines += answer_lines(t, meeting, invitation, timezone, now)
    return "\n".join(lines)


def card_buttons(
    t: Translator, meeting: Meeting, invitation: Invitation
) -> InlineKeyboardMarkup | None:
    """One button per answer the meeting offers, the current one marked; then the extras."""
    if meeting.status is MeetingStatus.CANCELLED:
        return None
    rows: list[list[tuple[str, str]]] = []
    for answer in meeting.answers:
        label = answer_label(t, answer)
        if invitation.answer is answer and not invitation.needs_confirmation:
            label = f"✓ {label}"
        rows.append([(label, f"rsvp:{invitation.id}:{answer.code}")])
    extras = []
    if meeting.ask_comment:
        extras.append((t.gettext("Comment"), f"rsvc:{invitation.id}"))
    extras.append((t.gettext("Send a substitute"), f"rsvs:{invitation.id}"))
    extras.append((t.gettext("Calendar file"), f"ics:{invitation.id}"))
    rows.append(extras)
    return keyboard(rows)


def heading_for(t: Translator, notice: Notice | None, meeting: Meeting) -> str:
    if meeting.status is MeetingStatus.CANCELLED or (
        notice is not None and notice.kind is NoticeKind.CANCELLATION
    ):
        return t.gettext("❌ <b>Meeting cancelled</b>")
    if notice is not None and notice.kind is NoticeKind.UPDATE:
        return t.gettext("🔄 <b>Meeting updated</b>")
    return t.gettext("📅 <b>Invitation to a meeting</b>")


def change_lines(t: Translator, notice: Notice, meeting: Meeting, timezone: str) -> list[str]:
    """What an update changed, old → new, in the reader's terms."""
    fields = notice.changes.get("fields", {})
    assert isinstance(fields, dict)
    lines = [t.gettext("<b>What changed:</b>")]

    def when(value: object) -> datetime:
        return datetime.fromisoformat(str(value))

    if "starts_at" in fields or "ends_at" in fields:
        old_start = when(fields.get("starts_at", [meeting.starts_at.isoformat()])[0])
        old_end = when(fields.get("ends_at", [meeting.ends_at.isoformat()])[0])
        lines.append(
            t.gettext(
                "Date and time: {old} → {new}",
                old=t.period(old_start, old_end, timezone),
                new=t.period(meeting.starts_at, meeting.ends_at, timezone),
            )
        )
    if "mode" in fields:
        old, new = fields["mode"]
        lines.append(
            t.gettext(
                "Format: {old} → {new}",
                old=mode_label(t, MeetingMode(old)),
                new=mode_label(t, MeetingMode(new)),
            )
        )
    if {"venue", "city", "host_country"} & set(fields):
        lines.append(t.gettext("Place: {new}", new=place_text(t, meeting) or t.gettext("none")))
    if "online_url" in fields:
        lines.append(t.gettext("Online link: {new}", new=meeting.online_url or t.gettext("none")))
    if notice.changes.get("reconfirm"):
        lines.append(
            t.gettext("<b>Because the date changed, please confirm your answer again.</b>")
        )
    return lines


def update_text(
    t: Translator,
    notice: Notice,
    meeting: Meeting,
    invitation: Invitation | None,
    timezone: str,
    now: datetime,
) -> str:
    lines = [heading_for(t, notice, meeting), *change_lines(t, notice, meeting, timezone), ""]
    lines += meeting_lines(t, meeting, timezone)
    lines += answer_lines(t, meeting, invitation, timezone, now)
    return "\n".join(lines)


def cancellation_text(t: Translator, meeting: Meeting, timezone: str) -> str:
    text, _ = meeting.text_for(t.locale)
    return t.gettext(
        "❌ <b>Meeting cancelled</b>\n\nThe meeting “{title}” of {period} has been cancelled. "
        "You do not need to answer.",
        title=text.title,
        period=t.period(meeting.starts_at, meeting.ends_at, timezone),
    )
