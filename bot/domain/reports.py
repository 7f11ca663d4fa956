"""The secretariat's view of a meeting: who answered what, and who was told.

A focal point or team chair sees the same for their own invitees. The meeting's export
(bot/domain/exports.py) is made of `sheets`: one row per invited member, sorted by country
then name, times in the meeting's time zone with the zone named in the header.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from bot.domain.access import Scope
from bot.domain.clock import Clock
from bot.domain.models import (
    Answer,
    AttendanceRow,
    DeliveryCounts,
    DeliveryLogRow,
    Meeting,
    Member,
    Notice,
)
from bot.domain.proof import ProofReport, build_proof
from bot.domain.tables import Cell, LazyRows, Rows, local_times
from storage.db import Database
from storage.rows import ScopeFilter


@dataclass(frozen=True)
class MeetingReport:
    """What the meeting's export lists. Rows are light tuples: an export of 100,000
    invitees holds one per invitee and one per message, and nothing more."""

    meeting: Meeting
    rows: list[AttendanceRow]  # by country, then name
    notices: list[Notice]
    deliveries: list[DeliveryLogRow]  # by notice, then as queued


@dataclass(frozen=True)
class MeetingStatus:
    """A meeting at a glance (/status), made of aggregates whatever the audience: counts per
    answer and per country, and the first names of who has not answered and of whom a
    message did not reach (the export has every name)."""

    meeting: Meeting
    invited: int
    by_answer: Counter[str]  # the answer's value; "" for no answer yet
    by_country: dict[str, Counter[str]]
    to_confirm: int
    unanswered: list[Member]  # the first ones, by country and name
    notices: list[Notice]
    counts: DeliveryCounts
    failed: list[tuple[str, str, str]]  # the first ones: (name, country, Telegram's reason)


def scope_filter(scope: Scope | None) -> ScopeFilter:
    if scope is None or scope.everything:
        return ScopeFilter()
    return ScopeFilter(False, tuple(sorted(scope.countries)), tuple(sorted(scope.teams)))


class Reports:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def meeting(self, meeting_id: int, scope: Scope | None = None) -> MeetingReport | None:
        """The meeting's report; within `scope` (a focal point's country, a chair's teams)
        only their invitees and the messages sent to them, and None if none are theirs.
        Three queries whatever the audience."""
        within = scope_filter(scope)
        async with self.db.read() as tx:  # a report: on a reader connection
            meeting = await tx.meetings.get(meeting_id)
            if meeting is None:
                return None
            rows = await tx.reports.attendance(meeting_id, within)
            if not rows and not within.everything:
                return None
            rows.sort(key=lambda r: (r.country, r.full_name.casefold()))
            notices = await tx.notices.of_meeting(meeting_id)
            deliveries = await tx.reports.delivery_log(meeting_id, [n.id for n in notices], within)
            return MeetingReport(meeting, rows, notices, deliveries)

    async def status(
        self, meeting_id: int, scope: Scope | None = None, *, names: int = 30
    ) -> MeetingStatus | None:
        """The meeting at a glance, within `scope`: a constant number of queries, and at
        most `names` names in each list. None if there is no such meeting, or none of its
        invitees is in `scope`."""
        within = scope_filter(scope)
        async with self.db.read() as tx:  # a report: on a reader connection
            meeting = await tx.meetings.get(meeting_id)
            if meeting is None:
                return None
            by_answer: Counter[str] = Counter()
            by_country: dict[str, Counter[str]] = {}
            to_confirm = 0
            for country, answer, confirm, n in await tx.invitations.answer_counts(
                meeting_id, within
            ):
                by_answer[answer or ""] += n
                by_country.setdefault(country, Counter())[answer or ""] += n
                to_confirm += n if confirm else 0
            invited = sum(by_answer.values())
            if invited == 0 and not within.everything:
                return None
            notices = await tx.notices.of_meeting(meeting_id)
            notice_ids = [n.id for n in notices]
            return MeetingStatus(
                meeting=meeting,
                invited=invited,
                by_answer=by_answer,
                by_country=dict(sorted(by_country.items())),
                to_confirm=to_confirm,
                unanswered=await tx.invitations.unanswered(meeting_id, within, names),
                notices=notices,
                counts=await tx.deliveries.counts(notice_ids, within),
                failed=await tx.deliveries.failed(notice_ids, within, names),
            )

    async def proof(self, notice_id: int) -> ProofReport | None:
        """Proof of notification: for one notice, each recipient and what became of it."""
        async with self.db.read() as tx:  # a report: on a reader connection
            return await build_proof(tx, notice_id)


ANSWER_LABELS = {
    Answer.IN_PERSON: "in person",
    Answer.ONLINE: "online",
    Answer.NOT_ATTENDING: "not attending",
    Answer.TENTATIVE: "tentative",
}


def sheets(report: MeetingReport) -> dict[str, Rows]:
    """The three tables of an export, header row first, made as the file is written.

    Column headers and answer labels are English: exports go to the secretariat's files
    and to other institutions, where one stable vocabulary matters more than the
    language of whoever pressed "export".
    """
    tz = report.meeting.timezone

    def attendance() -> Iterator[list[Cell]]:
        yield [
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
        answered = local_times(tz)
        for row in report.rows:
            yield [
                row.country,
                row.full_name,
                row.institution,
                row.position,
                row.email or "",
                ANSWER_LABELS[row.answer] if row.answer else "no answer",
                answered(row.answered_at),
                "yes" if row.needs_confirmation else "",
                row.comment or "",
                row.substitute_name or "",
                row.stands_in_for_name or "",
            ]

    def answers() -> Iterator[list[Cell]]:
        yield ["country", "name", "answer", f"answered at ({tz})", "comment"]
        answered = local_times(tz)
        for row in report.rows:
            if row.answer is not None:
                yield [
                    row.country,
                    row.full_name,
                    ANSWER_LABELS[row.answer],
                    answered(row.answered_at),
                    row.comment or "",
                ]

    def log() -> Iterator[list[Cell]]:
        yield [
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
        names = {row.telegram_user_id: row for row in report.rows}
        kinds = {n.id: n.kind.value for n in report.notices}
        sent, acknowledged = local_times(tz), local_times(tz)
        for delivery in report.deliveries:
            member = names.get(delivery.telegram_user_id)
            yield [
                delivery.notice_id,
                kinds.get(delivery.notice_id, ""),
                member.country if member else "",
                member.full_name if member else str(delivery.telegram_user_id),
                delivery.state.value,
                sent(delivery.sent_at),
                delivery.attempts,
                acknowledged(delivery.acknowledged_at),
                delivery.error or "",
            ]

    return {
        "Attendance": LazyRows(attendance),
        "Answers": LazyRows(answers),
        "Delivery log": LazyRows(log),
    }
