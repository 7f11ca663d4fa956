"""Proof of notification: for one notice, each recipient and what became of the message.

Telegram tells a bot nothing about reading: "delivered" is its acceptance of the message
(with the message's number); an acknowledgement is a member's own press of the button,
and an answer is the RSVP or the request's answer given since.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from bot.domain.models import DeliveryState, Notice, ProofRow
from bot.domain.tables import Cell, LazyRows, Rows, local_times
from storage.tx import Tx


@dataclass(frozen=True)
class ProofReport:
    notice: Notice
    rows: list[ProofRow]  # by country then name; those no longer members last

    @property
    def delivered(self) -> int:
        return sum(1 for r in self.rows if r.state is DeliveryState.SENT)

    @property
    def acknowledged(self) -> int:
        return sum(1 for r in self.rows if r.acknowledged_at is not None)

    @property
    def answered(self) -> int:
        return sum(1 for r in self.rows if r.answered_at is not None)

    @property
    def failed(self) -> list[tuple[str, str, str]]:
        """(name, country, Telegram's reason) of each message that did not go out."""
        return [
            (r.name, r.country, r.error or "") for r in self.rows if r.state is DeliveryState.FAILED
        ]


async def build_proof(tx: Tx, notice_id: int) -> ProofReport | None:
    """Proof of notification: for one notice, each recipient and what became of it. Two
    queries whatever the audience: the notice, and its deliveries joined to the members,
    their references in the log, and the answers to the meeting or request. An answer
    counts for a member when given by them, for their country or for one of their teams."""
    notice = await tx.notices.get(notice_id)
    if notice is None:
        return None
    rows = await tx.proof.rows(
        notice_id,
        meeting_id=notice.meeting_id,
        request_id=notice.request_id if notice.meeting_id is None else None,
    )
    rows.sort(key=lambda r: (r.country if r.member_id is not None else "~", r.name.casefold()))
    return ProofReport(notice, rows)


PROOF_COLUMNS = (
    "country",
    "name",
    "reference",
    "state",
    "queued at ({tz})",
    "delivered at ({tz})",
    "telegram message id",
    "attempts",
    "acknowledged at ({tz})",
    "answered at ({tz})",
    "error",
)


def proof_sheets(report: ProofReport, timezone: str) -> dict[str, Rows]:
    """One row per recipient: queued, accepted by Telegram (the message id), acknowledged,
    answered. Telegram tells a bot nothing about reading: "delivered" is its acceptance.
    The rows are made as the file is written, not held beside the report."""

    def rows() -> Iterator[list[Cell]]:
        yield [column.format(tz=timezone) for column in PROOF_COLUMNS]
        queued, sent, acknowledged, answered = (local_times(timezone) for _ in range(4))
        for row in report.rows:
            yield [
                row.country,
                row.name,
                row.ref or "",
                row.state.value,
                queued(row.queued_at),
                sent(row.sent_at),
                row.message_id,
                row.attempts,
                acknowledged(row.acknowledged_at),
                answered(row.answered_at),
                row.error or "",
            ]

    return {f"Notice {report.notice.id}": LazyRows(rows)}
