"""The secretariat's view of a meeting: who answered what, who was told, and the exports.

Exports are written for people who open them in a spreadsheet: one row per invited
member, sorted by country then name, times in the meeting's time zone with the zone
named in the header, and the same columns in the CSV and in the XLSX.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from openpyxl import Workbook
from openpyxl.styles import Font

from bot.domain.clock import Clock
from bot.domain.models import (
    Answer,
    Delivery,
    DeliveryCounts,
    Invitation,
    Meeting,
    Member,
    Notice,
    NoticeKind,
)
from bot.i18n import zone
from storage.db import Database


@dataclass(frozen=True)
class Row:
    member: Member
    invitation: Invitation
    substitute_name: str | None
    stands_in_for_name: str | None
    invitation_delivery: Delivery | None


@dataclass(frozen=True)
class MeetingReport:
    meeting: Meeting
    rows: list[Row]
    notices: list[Notice]
    deliveries: list[Delivery]
    counts: DeliveryCounts

    @property
    def by_answer(self) -> Counter[str]:
        return Counter(r.invitation.answer.value if r.invitation.answer else "" for r in self.rows)

    @property
    def by_country(self) -> dict[str, Counter[str]]:
        found: dict[str, Counter[str]] = {}
        for row in self.rows:
            key = row.invitation.answer.value if row.invitation.answer else ""
            found.setdefault(row.member.country, Counter())[key] += 1
        return dict(sorted(found.items()))

    @property
    def unanswered(self) -> list[Member]:
        return [r.member for r in self.rows if r.invitation.answer is None]

    @property
    def to_confirm(self) -> list[Member]:
        return [r.member for r in self.rows if r.invitation.needs_confirmation]


class Reports:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def meeting(self, meeting_id: int) -> MeetingReport | None:
        async with self.db.transaction() as tx:
            meeting = await tx.meetings.get(meeting_id)
            if meeting is None:
                return None
            invitations = await tx.invitations.of_meeting(meeting_id)
            notices = await tx.notices.of_meeting(meeting_id)
            notice_ids = [n.id for n in notices]
            deliveries = await tx.deliveries.of_notices(notice_ids)
            counts = await tx.deliveries.counts(notice_ids)
            invitation_notice = {n.id for n in notices if n.kind is NoticeKind.INVITATION}
            first_delivery: dict[int, Delivery] = {}
            for delivery in deliveries:
                if delivery.notice_id in invitation_notice:
                    first_delivery.setdefault(delivery.telegram_user_id, delivery)
            members: dict[int, Member] = {}
            for invitation in invitations:
                for member_id in (
                    invitation.member_id,
                    invitation.substitute_id,
                    invitation.stands_in_for,
                ):
                    if member_id is not None and member_id not in members:
                        found = await tx.members.get(member_id)
                        if found is not None:
                            members[member_id] = found
            rows = []
            for invitation in invitations:
                member = members.get(invitation.member_id)
                if member is None:
                    continue
                substitute = members.get(invitation.substitute_id or 0)
                replaced = members.get(invitation.stands_in_for or 0)
                rows.append(
                    Row(
                        member,
                        invitation,
                        substitute.full_name if substitute else None,
                        replaced.full_name if replaced else None,
                        first_delivery.get(member.telegram_user_id),
                    )
                )
            rows.sort(key=lambda r: (r.member.country, r.member.full_name.casefold()))
            return MeetingReport(meeting, rows, notices, deliveries, counts)


# -- exports ------------------------------------------------------------------------------

ANSWER_LABELS = {
    Answer.IN_PERSON: "in person",
    Answer.ONLINE: "online",
    Answer.NOT_ATTENDING: "not attending",
    Answer.TENTATIVE: "tentative",
}


def _time(value: datetime | None, timezone: str) -> str:
    if value is None:
        return ""
    return value.astimezone(zone(timezone)).strftime("%Y-%m-%d %H:%M")


def sheets(report: MeetingReport) -> dict[str, list[list[str]]]:
    """The three tables of an export, header row first.

    Column headers and answer labels are English: exports go to the secretariat's files
    and to other institutions, where one stable vocabulary matters more than the
    language of whoever pressed "export".
    """
    tz = report.meeting.timezone
    attendance = [
        [
            "country",
            "name",
            "institution",
            "position",
            "e-mail",
            "answer",
            f"answered at ({tz})",
            "to confirm again",
            "comment",
            "substitute",
            "stands in for",
        ]
    ]
    for row in report.rows:
        invitation = row.invitation
        attendance.append(
            [
                row.member.country,
                row.member.full_name,
                row.member.institution,
                row.member.position,
                row.member.email or "",
                ANSWER_LABELS[invitation.answer] if invitation.answer else "no answer",
                _time(invitation.answered_at, tz),
                "yes" if invitation.needs_confirmation else "",
                invitation.comment or "",
                row.substitute_name or "",
                row.stands_in_for_name or "",
            ]
        )
    answers = [["country", "name", "answer", f"answered at ({tz})", "comment"]]
    answers += [
        [line[0], line[1], line[5], line[6], line[8]]
        for line in attendance[1:]
        if line[5] != "no answer"
    ]
    names = {row.member.telegram_user_id: row.member for row in report.rows}
    kinds = {n.id: n.kind.value for n in report.notices}
    log = [
        [
            "notice",
            "kind",
            "country",
            "name",
            "state",
            f"sent at ({tz})",
            "attempts",
            f"acknowledged at ({tz})",
            "error",
        ]
    ]
    for delivery in report.deliveries:
        member = names.get(delivery.telegram_user_id)
        log.append(
            [
                str(delivery.notice_id),
                kinds.get(delivery.notice_id, ""),
                member.country if member else "",
                member.full_name if member else str(delivery.telegram_user_id),
                delivery.state.value,
                _time(delivery.sent_at, tz),
                str(delivery.attempts),
                _time(delivery.acknowledged_at, tz),
                delivery.last_error or "",
            ]
        )
    return {"Attendance": attendance, "Answers": answers, "Delivery log": log}


def to_csv(report: MeetingReport) -> bytes:
    """One CSV file, the three tables one after another with a titled blank line between.

    UTF-8 with a byte-order mark, so that Excel shows Cyrillic and Greek names right.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    for index, (title, rows) in enumerate(sheets(report).items()):
        if index:
            writer.writerow([])
        writer.writerow([f"# {title}"])
        writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(report: MeetingReport) -> bytes:
    workbook = Workbook()
    first = True
    for title, rows in sheets(report).items():
        sheet = workbook.active if first else workbook.create_sheet()
        assert sheet is not None
        first = False
        sheet.title = title
        for row in rows:
            sheet.append(row)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for column in sheet.columns:
            width = max(len(str(cell.value or "")) for cell in column)
            sheet.column_dimensions[column[0].column_letter].width = min(60, max(10, width + 2))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
