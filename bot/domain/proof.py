"""Proof of notification: for one notice, each recipient and what became of the message.

Telegram tells a bot nothing about reading: "delivered" is its acceptance of the message
(with the message's number); an acknowledgement is a member's own press of the button,
and an answer is the RSVP or the request's answer given since.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.answers import member_parties
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
    """Proof of notification: for one notice, each recipient and what became of it."""
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


async def _party_answered(tx: Tx, request_id: int, member: Member) -> datetime | None:
    parties = await member_parties(tx, member)
    for response in await tx.responses.of_requests([request_id]):
        if response.party in parties and response.answered:
            return response.answered_at
    return None


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
