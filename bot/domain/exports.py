"""Exports: a meeting, a request, an action plan, a notice's proof of notification, the
audit log, as tables for a spreadsheet (bot/domain/tables.py writes them as CSV or XLSX).

One operation, `Exports.export`, builds every export and records it in the audit log,
whoever asks: `/export` in the chat and `convene export` on the command line. Column
headers and labels are English: exports go to the secretariat's files and to other
institutions, where one stable vocabulary matters more than the language of whoever
pressed "export".
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.access import Scope
from bot.domain.audit import Action, AuditLog, audit_sheet
from bot.domain.clock import Clock
from bot.domain.plans import PlanReport, Plans
from bot.domain.proof import ProofReport, proof_sheets
from bot.domain.reports import Reports, sheets
from bot.domain.request_models import Party, PartyKind, Response, ResponseStatus
from bot.domain.request_status import RequestReport
from bot.domain.requests import Requests
from bot.domain.tables import (
    Cell,
    Rows,
    Table,
    local_time,
    tables_to_csv,
    tables_to_files,
    tables_to_xlsx,
)
from bot.i18n import zone


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
    tables: Mapping[str, Rows]  # header row first; read again for each format
    rows: int  # what the first table lists: invitees, parties, obligations, recipients

    def content(self, file_format: str) -> bytes:
        return tables_to_xlsx(self.tables) if file_format == "xlsx" else tables_to_csv(self.tables)

    async def files(self) -> tuple[bytes, bytes]:
        """The CSV and the XLSX file, from one reading of the rows, written in a worker
        thread: 100,000 rows take seconds to write, and the bot keeps answering everyone
        else meanwhile (bench.scale, "presses during /export"). The tables are the
        report's own, read by nothing else."""
        return await asyncio.to_thread(tables_to_files, self.tables)


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
        tables: Mapping[str, Rows]
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
            obligations = plan_sheets(plan, now)
            tables, rows = obligations, len(obligations["Obligations"]) - 1
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
        tables: Mapping[str, Rows] = audit_sheet(entries, timezone)
        return Export(ExportKind.AUDIT, f"audit-{day}", tables, len(entries))


DEFAULT_AUDIT_PERIOD = timedelta(days=30)


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
                local_time(response.answered_at, tz),
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
                    [item.ref, item.title, rule, local_time(occurrence.request.deadline, tz), *row]
                )
    return {"Obligations": rows}
