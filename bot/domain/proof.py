"""Proof of notification: for one notice, each recipient and what became of the message.

Telegram tells a bot nothing about reading: "delivered" is its acceptance of the message
(with the message's number); an acknowledgement is a member's own press of the button,
and an answer is the RSVP or the request's answer given since.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.answers import parties_of
from bot.domain.models import Delivery, Member, Notice
from bot.domain.tables import Cell, Table, local_time
from storage.tx import Tx


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


async def build_proof(tx: Tx, notice_id: int) -> ProofReport | None:
    """Proof of notification: for one notice, each recipient and what became of it. A
    constant number of queries whatever the audience: the deliveries, the members among the
    recipients, their references in the log, and the answers of the meeting or request."""
    notice = await tx.notices.get(notice_id)
    if notice is None:
        return None
    deliveries = await tx.deliveries.of_notices([notice_id])
    members = await tx.members.of_notice(notice_id)
    refs = await tx.audit.refs_of_notice(notice_id)
    answered = await _answered(tx, notice, list(members.values()))
    rows = []
    for delivery in deliveries:
        member = members.get(delivery.telegram_user_id)
        rows.append(
            ProofRow(
                delivery,
                member,
                refs.get(delivery.telegram_user_id),
                answered.get(member.id) if member is not None else None,
            )
        )
    rows.sort(key=lambda r: (r.member.country if r.member else "~", r.name.casefold()))
    return ProofReport(notice, rows)


async def _answered(tx: Tx, notice: Notice, members: list[Member]) -> dict[int, datetime]:
    """When each member answered what the notice asked: their invitation to its meeting,
    or the request, by them or by anyone answering for their country or team."""
    if notice.meeting_id is not None:
        return {
            invitation.member_id: invitation.answered_at
            for invitation in await tx.invitations.of_meeting(notice.meeting_id)
            if invitation.answered_at is not None
        }
    if notice.request_id is None:
        return {}
    answers = {
        response.party: response.answered_at
        for response in await tx.responses.of_requests([notice.request_id])
        if response.answered and response.answered_at is not None
    }
    teams = await tx.teams.ids_of_members([m.id for m in members])
    found: dict[int, datetime] = {}
    for member in members:
        # The member's own answer first, then their country's, then a team's.
        parties = parties_of(member, sorted(teams.get(member.id, ())))
        when = next((answers[p] for p in parties if p in answers), None)
        if when is not None:
            found[member.id] = when
    return found


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
                local_time(delivery.created_at, timezone),
                local_time(delivery.sent_at, timezone),
                delivery.message_id,
                delivery.attempts,
                local_time(delivery.acknowledged_at, timezone),
                local_time(row.answered_at, timezone),
                delivery.last_error or "",
            ]
        )
    return {f"Notice {report.notice.id}": rows}
