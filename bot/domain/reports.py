"""The secretariat's view of a meeting: who answered what, who was told, and the exports.

Exports are written for people who open them in a spreadsheet: one row per invited
member, sorted by country then name, times in the meeting's time zone with the zone
named in the header, and the same columns in the CSV and in the XLSX. In the XLSX,
numbers are numbers and times are dates, so that they sort and filter. A text that a
spreadsheet would run as a formula (a name "=HYPERLINK(…)") gets a leading apostrophe,
as OWASP advises against CSV injection: the files go to other institutions.

One operation, `Exports.export`, builds every export and records it in the audit log,
whoever asks: `/export` in the chat and `convene export` on the command line.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from bot.domain.access import Scope
from bot.domain.audit import Action, AuditLog, audit_sheet
from bot.domain.clock import Clock
from bot.domain.models import (
    Answer,
    Delivery,
    DeliveryCounts,
    DeliveryState,
    Invitation,
    Meeting,
    Member,
    Notice,
    NoticeKind,
)
from bot.domain.plans import PlanReport, Plans
from bot.domain.request_models import Party, PartyKind, Response, ResponseStatus
from bot.domain.request_status import RequestReport
from bot.domain.requests import Requests
from bot.i18n import zone
from storage.db import Database

# A cell of an export: text, a number, or a local time (shown in the column's zone).
Cell = str | int | datetime | None
Table = list[list[Cell]]


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

    async def meeting(self, meeting_id: int, scope: Scope | None = None) -> MeetingReport | None:
        """The meeting's report; within `scope` (a focal point's country, a chair's teams)
        only their invitees and the messages sent to them, and None if none are theirs."""
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
            if scope is not None and not scope.everything:
                teams = await tx.teams.ids_of_members([r.member.id for r in rows])
                rows = [r for r in rows if scope.covers(r.member.country, teams[r.member.id])]
                if not rows:
                    return None
                seen = {r.member.telegram_user_id for r in rows}
                deliveries = [d for d in deliveries if d.telegram_user_id in seen]
                counts = _counts(deliveries)
            return MeetingReport(meeting, rows, notices, deliveries, counts)

    async def proof(self, notice_id: int) -> ProofReport | None:
        """Proof of notification: for one notice, each recipient and what became of it."""
        async with self.db.transaction() as tx:
            notice = await tx.notices.get(notice_id)
            if notice is None:
                return None
            rows = []
            for delivery in await tx.deliveries.of_notices([notice_id]):
                member = await tx.members.by_telegram_id(delivery.telegram_user_id)
                ref = await tx.audit.find_ref(delivery.telegram_user_id)
                answered = None
                if member is not None and notice.meeting_id is not None:
                    invitation = await tx.invitations.of(notice.meeting_id, member.id)
                    answered = invitation.answered_at if invitation else None
                elif member is not None and notice.request_id is not None:
                    answered = await _party_answered(tx, notice.request_id, member)
                rows.append(ProofRow(delivery, member, ref, answered))
            rows.sort(key=lambda r: (r.member.country if r.member else "~", r.name.casefold()))
            return ProofReport(notice, rows)


def _counts(deliveries: list[Delivery]) -> DeliveryCounts:
    states = Counter(d.state for d in deliveries)
    return DeliveryCounts(
        pending=states[DeliveryState.PENDING] + states[DeliveryState.SENDING],
        sent=states[DeliveryState.SENT],
        failed=states[DeliveryState.FAILED],
        unreachable=states[DeliveryState.UNREACHABLE],
        acknowledged=sum(1 for d in deliveries if d.acknowledged_at is not None),
    )


async def _party_answered(tx: Any, request_id: int, member: Member) -> datetime | None:
    from bot.domain.answers import member_parties

    parties = await member_parties(tx, member)
    for response in await tx.responses.of_requests([request_id]):
        if response.party in parties and response.answered:
            return response.answered_at
    return None


@dataclass(frozen=True)
class ProofRow:
    delivery: Delivery
    member: Member | None
    ref: str | None  # the person's reference in the audit log
    answered_at: datetime | None

    @property
    def name(self) -> str:
        if self.member is not None:
            return self.member.full_name
        return self.ref or f"Telegram {self.delivery.telegram_user_id}"


@dataclass(frozen=True)
class ProofReport:
    notice: Notice
    rows: list[ProofRow]


def proof_sheets(report: ProofReport, timezone: str) -> dict[str, Table]:
    """One row per recipient: queued, accepted by Telegram (the message id), acknowledged,
    answered. Telegram tells a bot nothing about reading: "delivered" is its acceptance."""
    header: list[Cell] = [
        "country",
        "name",
        "reference",
        "state",
        f"queued at ({timezone})",
        f"delivered at ({timezone})",
        "telegram message id",
        "attempts",
        f"acknowledged at ({timezone})",
        f"answered at ({timezone})",
        "error",
    ]
    rows: Table = [header]
    for row in report.rows:
        delivery = row.delivery
        rows.append(
            [
                row.member.country if row.member else "",
                row.name,
                row.ref or "",
                delivery.state.value,
                _time(delivery.created_at, timezone),
                _time(delivery.sent_at, timezone),
                delivery.message_id,
                delivery.attempts,
                _time(delivery.acknowledged_at, timezone),
                _time(row.answered_at, timezone),
                delivery.last_error or "",
            ]
        )
    return {f"Notice {report.notice.id}": rows}


# -- exports ------------------------------------------------------------------------------

ANSWER_LABELS = {
    Answer.IN_PERSON: "in person",
    Answer.ONLINE: "online",
    Answer.NOT_ATTENDING: "not attending",
    Answer.TENTATIVE: "tentative",
}


def _time(value: datetime | None, timezone: str) -> datetime | None:
    """The moment in the column's zone, to the minute."""
    if value is None:
        return None
    return value.astimezone(zone(timezone)).replace(second=0, microsecond=0)


def sheets(report: MeetingReport) -> dict[str, Table]:
    """The three tables of an export, header row first.

    Column headers and answer labels are English: exports go to the secretariat's files
    and to other institutions, where one stable vocabulary matters more than the
    language of whoever pressed "export".
    """
    tz = report.meeting.timezone
    attendance: Table = [
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
    answers: Table = [["country", "name", "answer", f"answered at ({tz})", "comment"]]
    answers += [
        [line[0], line[1], line[5], line[6], line[8]]
        for line in attendance[1:]
        if line[5] != "no answer"
    ]
    names = {row.member.telegram_user_id: row.member for row in report.rows}
    kinds = {n.id: n.kind.value for n in report.notices}
    log: Table = [
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
                delivery.notice_id,
                kinds.get(delivery.notice_id, ""),
                member.country if member else "",
                member.full_name if member else str(delivery.telegram_user_id),
                delivery.state.value,
                _time(delivery.sent_at, tz),
                delivery.attempts,
                _time(delivery.acknowledged_at, tz),
                delivery.last_error or "",
            ]
        )
    return {"Attendance": attendance, "Answers": answers, "Delivery log": log}


# Leading characters that make a spreadsheet read a cell as a formula (OWASP, "CSV
# injection"); a tab or carriage return first can hide one.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_MINUTES, _SECONDS = "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"


def neutralize(text: str) -> str:
    """A text a spreadsheet shows as it is, never runs: "=1+1" becomes "'=1+1"."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def cell_text(value: Cell, seconds: bool = False) -> str:
    """A cell as text (the CSV, and the command line's listings); a time to the minute,
    or to the second in a column of times that have them (the audit log's)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime(_SECONDS if seconds or value.second else _MINUTES)
    if isinstance(value, int):
        return str(value)
    return neutralize(value)


def _columns_with_seconds(rows: Sequence[Sequence[Cell]]) -> set[int]:
    return {
        c
        for row in rows
        for c, value in enumerate(row)
        if isinstance(value, datetime) and value.second
    }


def tables_to_csv(tables: Mapping[str, Sequence[Sequence[Cell]]]) -> bytes:
    """One CSV file, the tables one after another with a titled blank line between.

    UTF-8 with a byte-order mark, so that Excel shows Cyrillic and Greek names right.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    for index, (title, rows) in enumerate(tables.items()):
        if index:
            writer.writerow([])
        writer.writerow([f"# {title}"])
        seconds = _columns_with_seconds(rows)
        writer.writerows([cell_text(v, c in seconds) for c, v in enumerate(row)] for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def tables_to_xlsx(tables: Mapping[str, Sequence[Sequence[Cell]]]) -> bytes:
    workbook = Workbook()
    first = True
    for title, rows in tables.items():
        sheet = workbook.active if first else workbook.create_sheet()
        assert sheet is not None
        first = False
        sheet.title = title[:31]  # Excel's limit
        widths: dict[int, int] = {}
        seconds = _columns_with_seconds(rows)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                shown = cell_text(value, c - 1 in seconds)
                widths[c] = max(widths.get(c, 0), len(shown))
                if value is None or value == "":
                    continue
                cell = sheet.cell(row=r, column=c)
                if isinstance(value, datetime):
                    # Excel has no time zones: the local time, its zone is in the header.
                    cell.value = value.replace(tzinfo=None)
                    cell.number_format = (
                        "yyyy-mm-dd hh:mm:ss" if c - 1 in seconds else "yyyy-mm-dd hh:mm"
                    )
                elif isinstance(value, int):
                    cell.value = value
                else:
                    cell.value = shown
                    cell.data_type = "s"  # text, even if it looks like a formula
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for c, width in widths.items():
            letter = get_column_letter(c)
            sheet.column_dimensions[letter].width = min(60, max(10, width + 2))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class ExportKind(StrEnum):
    MEETING = "meeting"
    REQUEST = "request"
    PLAN = "plan"
    PROOF = "proof"  # proof of notification of one notice
    AUDIT = "audit"


@dataclass(frozen=True)
class Export:
    kind: ExportKind
    name: str  # the file's name without its extension, e.g. "meeting-3"
    tables: dict[str, Table]
    rows: int  # what the first table lists: invitees, parties, obligations, recipients

    def content(self, file_format: str) -> bytes:
        return tables_to_xlsx(self.tables) if file_format == "xlsx" else tables_to_csv(self.tables)


class Exports:
    """Every export, built for who may see it and recorded in the audit log."""

    def __init__(
        self,
        clock: Clock,
        reports: Reports,
        requests: Requests,
        plans: Plans,
        audit: AuditLog,
    ) -> None:
        self.clock = clock
        self.reports = reports
        self.requests = requests
        self.plans = plans
        self.audit = audit

    async def export(
        self,
        kind: ExportKind,
        number: int,
        *,
        scope: Scope | None = None,
        actor: int | None = None,
        timezone: str = "UTC",
    ) -> Export | None:
        """A meeting, request, plan or a notice's proof of notification; None if there is no
        such thing within `scope`. `actor` is who asked (None: the command line);
        `timezone` is the proof's (the others are in their own zone)."""
        now = self.clock.now()
        tables: dict[str, Table]
        if kind is ExportKind.MEETING:
            meeting = await self.reports.meeting(number, scope)
            if meeting is None:
                return None
            tables, rows = sheets(meeting), len(meeting.rows)
        elif kind is ExportKind.REQUEST:
            request = await self.requests.report(number, scope)
            if request is None:
                return None
            tables, rows = request_sheets(request, now), len(request.responses)
        elif kind is ExportKind.PLAN:
            plan = await self.plans.report(number, scope)
            if plan is None:
                return None
            tables = plan_sheets(plan, now)
            rows = len(tables["Obligations"]) - 1
        elif kind is ExportKind.PROOF:
            if scope is not None and not scope.everything:
                return None
            found = await self.proof(number, timezone, actor=actor)
            return found[0] if found else None
        else:
            raise ValueError("the audit log is exported by period: use Exports.audit_log")
        await self.audit.record(Action.EXPORT, kind.value, number, actor=actor)
        return Export(kind, f"{kind.value}-{number}", tables, rows)

    async def proof(
        self, number: int, timezone: str, *, actor: int | None = None
    ) -> tuple[Export, ProofReport] | None:
        """A notice's proof of notification, and the report it was made of (for the
        counts shown beside it); None if there is no such notice."""
        report = await self.reports.proof(number)
        if report is None:
            return None
        await self.audit.record(Action.EXPORT, "notice", number, actor=actor, report="proof")
        tables = proof_sheets(report, timezone)
        return Export(ExportKind.PROOF, f"proof-notice-{number}", tables, len(report.rows)), report

    async def audit_log(
        self, start: datetime, end: datetime | None, timezone: str, *, actor: int | None = None
    ) -> Export:
        """The audit log from `start` to `end` (excluded; None: up to now)."""
        entries = await self.audit.entries(start, end)
        until = end or self.clock.now()
        await self.audit.record(
            Action.EXPORT,
            "audit",
            None,
            actor=actor,
            start=start.isoformat(),
            end=until.isoformat(),
        )
        day = f"{start.astimezone(zone(timezone)):%Y-%m-%d}"
        tables: dict[str, Table] = dict(audit_sheet(entries, timezone))
        return Export(ExportKind.AUDIT, f"audit-{day}", tables, len(entries))


DEFAULT_AUDIT_PERIOD = timedelta(days=30)


# -- requests and action plans (issue 4) --------------------------------------------------

RESPONSE_LABELS = {
    ResponseStatus.PENDING: "pending",
    ResponseStatus.SUBMITTED: "submitted",
    ResponseStatus.LATE: "late",
    ResponseStatus.NOT_APPLICABLE: "not applicable",
}


def _party(report: RequestReport, party: str) -> tuple[str, str, str]:
    """(kind, country, name) of a party, for the export's columns."""
    owner = Party.stored(party)
    kind, key = owner.kind.value, owner.key
    if owner.kind is PartyKind.COUNTRY:
        return kind, key, ""
    if owner.kind is PartyKind.MEMBER:
        return (
            kind,
            report.member_countries.get(owner.id, ""),
            report.member_names.get(owner.id, key),
        )
    return kind, "", report.team_names.get(owner.id, key)


def _answer(report: RequestReport, response: Response) -> str:
    request = report.request
    if response.choice is not None and request.options:
        return request.options[response.choice % len(request.options)]
    if response.text:
        return response.text
    return "; ".join(f.file_name or f.file_unique_id for f in response.files)


def response_rows(report: RequestReport, now: datetime) -> Table:
    tz = report.request.timezone
    rows: Table = []
    for response in report.responses:
        kind, country, name = _party(report, response.party)
        status = RESPONSE_LABELS[response.status]
        if response.owed and report.request.deadline <= now:
            status = "overdue"
        rows.append(
            [
                kind,
                country,
                name,
                status,
                report.member_names.get(response.answered_by or 0, ""),
                _time(response.answered_at, tz),
                response.amendments,
                _answer(report, response),
            ]
        )
    return rows


RESPONSE_HEADER = [
    "party",
    "country",
    "name",
    "status",
    "answered by",
    "answered at",
    "amendments",
    "answer",
]


def request_sheets(report: RequestReport, now: datetime) -> dict[str, Table]:
    """The answers to one request, and its documents with where the copies are kept."""
    tz = report.request.timezone
    header: list[Cell] = [*RESPONSE_HEADER]
    header[5] = f"answered at ({tz})"
    files: Table = [["party", "file name", "type", "size", "telegram file id", "saved as"]]
    for response in report.responses:
        for item in response.files:
            files.append(
                [
                    response.party,
                    item.file_name or "",
                    item.mime_type or "",
                    item.file_size,
                    item.file_id,
                    item.path or "",
                ]
            )
    return {"Answers": [header, *response_rows(report, now)], "Documents": files}


def plan_sheets(report: PlanReport, now: datetime) -> dict[str, Table]:
    """One row per obligation: item, occurrence (deadline) and responsible party."""
    tz = report.plan.timezone
    header: list[Cell] = ["ref", "item", "rule", f"deadline ({tz})", *RESPONSE_HEADER]
    header[4 + 5] = f"answered at ({tz})"
    rows: Table = [header]
    for status in report.items:
        item = status.item
        rule = item.rule_kind.value + (f" {item.rule}" if item.rule else "")
        for occurrence in status.occurrences:
            for row in response_rows(occurrence, now):
                rows.append(
                    [item.ref, item.title, rule, _time(occurrence.request.deadline, tz), *row]
                )
    return {"Obligations": rows}
