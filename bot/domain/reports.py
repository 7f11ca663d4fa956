"""The secretariat's view of a meeting: who answered what, and who was told.

A focal point or team chair sees the same for their own invitees. The meeting's export
(bot/domain/exports.py) is made of `sheets`: one row per invited member, sorted by country
then name, times in the meeting's time zone with the zone named in the header.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from bot.domain.access import Scope
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
from bot.domain.proof import ProofReport, build_proof
from bot.domain.tables import Table, local_time
from storage.db import Database
from storage.rows import ScopeFilter


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
        only their invitees and the messages sent to them, and None if none are theirs."""
        async with self.db.read() as tx:  # a report: on a reader connection
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
            members = await tx.members.of_meeting(meeting_id)
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


def _counts(deliveries: list[Delivery]) -> DeliveryCounts:
    states = Counter(d.state for d in deliveries)
    return DeliveryCounts(
        pending=states[DeliveryState.PENDING] + states[DeliveryState.SENDING],
        sent=states[DeliveryState.SENT],
        failed=states[DeliveryState.FAILED],
        unreachable=states[DeliveryState.UNREACHABLE],
        acknowledged=sum(1 for d in deliveries if d.acknowledged_at is not None),
    )


ANSWER_LABELS = {
    Answer.IN_PERSON: "in person",
    Answer.ONLINE: "online",
    Answer.NOT_ATTENDING: "not attending",
    Answer.TENTATIVE: "tentative",
}


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
                local_time(invitation.answered_at, tz),
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
                local_time(delivery.sent_at, tz),
                delivery.attempts,
                local_time(delivery.acknowledged_at, tz),
                delivery.last_error or "",
            ]
        )
    return {"Attendance": attendance, "Answers": answers, "Delivery log": log}
