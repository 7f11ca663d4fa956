"""Deliveries: one row per notice and recipient, the queue the delivery worker drains."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from bot.domain.models import Delivery, DeliveryCounts, DeliveryState, MemberStatus
from storage.rows import MemberSelection, Repo, ScopeFilter, chunks, insert_ignore, is_postgres
from storage.schema import accounts, deliveries, members, notices


def _delivery(row: Any) -> Delivery:
    return Delivery(
        id=row.id,
        notice_id=row.notice_id,
        telegram_user_id=row.telegram_user_id,
        chat_id=row.chat_id,
        state=DeliveryState(row.state),
        parts_sent=row.parts_sent,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        claimed_at=row.claimed_at,
        message_id=row.message_id,
        sent_at=row.sent_at,
        last_error=row.last_error,
        acknowledged_at=row.acknowledged_at,
        created_at=row.created_at,
        requeued_at=row.requeued_at,
    )


# Rows that did not reach their recipient: what `/resend` queues again.
_NOT_DELIVERED = (DeliveryState.FAILED.value, DeliveryState.UNREACHABLE.value)


class DeliveryRepo(Repo):
    async def add_many(
        self, notice_id: int, recipients: Sequence[tuple[int, int]], now: datetime
    ) -> int:
        """Queue the notice for (telegram_user_id, chat_id) pairs; returns how many were new."""
        added = 0
        for chunk in chunks(list(recipients)):
            result = await self.c.execute(
                insert_ignore(self.c, deliveries),
                [
                    {
                        "notice_id": notice_id,
                        "telegram_user_id": user_id,
                        "chat_id": chat_id,
                        "state": DeliveryState.PENDING.value,
                        "parts_sent": 0,
                        "attempts": 0,
                        "next_attempt_at": now,
                        "created_at": now,
                    }
                    for user_id, chat_id in chunk
                ],
            )
            added += max(result.rowcount, 0)
        await self._count_total(notice_id)
        return added

    async def add_selected(self, notice_id: int, selection: MemberSelection, now: datetime) -> int:
        """Queue the notice for the members `selection` picks who have a chat, in one
        INSERT … SELECT (the audience never leaves the database); returns how many were new.
        """
        query = selection.select(
            sa.literal(notice_id),
            members.c.telegram_user_id,
            accounts.c.chat_id,
            sa.literal(DeliveryState.PENDING.value),
            sa.literal(0),
            sa.literal(0),
            sa.literal(now, deliveries.c.next_attempt_at.type),
            sa.literal(now, deliveries.c.created_at.type),
        ).where(accounts.c.chat_id.is_not(None))
        result = await self.c.execute(
            insert_ignore(self.c, deliveries).from_select(
                [
                    "notice_id",
                    "telegram_user_id",
                    "chat_id",
                    "state",
                    "parts_sent",
                    "attempts",
                    "next_attempt_at",
                    "created_at",
                ],
                query,
            )
        )
        await self._count_total(notice_id)
        return max(result.rowcount, 0)

    async def mark_blocked(
        self,
        notice_id: int,
        *,
        selection: MemberSelection | None = None,
        users: Sequence[int] = (),
    ) -> list[tuple[int, int]]:
        """Mark unreachable the notice's pending rows for the blocked members `selection`
        picks (status unreachable), or for these Telegram users; returns the (delivery id,
        Telegram user id) of each row marked, and touches no other row."""
        pending = sa.and_(
            deliveries.c.notice_id == notice_id,
            deliveries.c.state == DeliveryState.PENDING.value,
        )
        marked: list[tuple[int, int]] = []
        conditions: list[sa.ColumnElement[bool]] = []
        if selection is not None:
            conditions.append(
                deliveries.c.telegram_user_id.in_(
                    selection.select(members.c.telegram_user_id)
                    .order_by(None)
                    .where(members.c.status == MemberStatus.UNREACHABLE.value)
                )
            )
        for chunk in chunks(list(users)):
            conditions.append(deliveries.c.telegram_user_id.in_(list(chunk)))
        for condition in conditions:
            rows = await self.c.execute(
                sa.update(deliveries)
                .where(pending, condition)
                .values(state=DeliveryState.UNREACHABLE.value, sent_at=None, last_error="blocked")
                .returning(deliveries.c.id, deliveries.c.telegram_user_id)
            )
            marked += [(int(i), int(u)) for i, u in rows]
        return sorted(marked)

    async def total(self, notice_id: int) -> int:
        """How many rows the notice has: its recipients."""
        return int(
            (
                await self.c.execute(
                    sa.select(sa.func.count())
                    .select_from(deliveries)
                    .where(deliveries.c.notice_id == notice_id)
                )
            ).scalar_one()
        )

    async def _count_total(self, notice_id: int) -> None:
        total = await self.total(notice_id)
        await self.c.execute(
            sa.update(notices).where(notices.c.id == notice_id).values(total=total)
        )

    async def get(self, delivery_id: int) -> Delivery | None:
        row = (
            await self.c.execute(sa.select(deliveries).where(deliveries.c.id == delivery_id))
        ).first()
        return _delivery(row) if row else None

    async def claim_next(self, now: datetime) -> Delivery | None:
        """Take the next due row for sending, atomically: no two workers get the same one.

        A notice's next part (its calendar file, its document) goes before the next
        recipient's first, so that each member gets the whole notice within a second or
        two, not the texts to everyone first and the files minutes later. Two small
        queries, each an index range (ix_deliveries_due), rather than one sort of the queue.
        """
        for continuation in (True, False):
            due = (
                sa.select(deliveries.c.id)
                .where(
                    deliveries.c.state == DeliveryState.PENDING.value,
                    deliveries.c.parts_sent >= 1 if continuation else deliveries.c.parts_sent == 0,
                    deliveries.c.next_attempt_at <= now,
                )
                .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
                .limit(1)
            )
            if is_postgres(self.c):
                due = due.with_for_update(skip_locked=True)
            row = (
                await self.c.execute(
                    sa.update(deliveries)
                    .where(
                        deliveries.c.id == due.scalar_subquery(),
                        deliveries.c.state == DeliveryState.PENDING.value,
                    )
                    .values(state=DeliveryState.SENDING.value, claimed_at=now)
                    .returning(*deliveries.c)
                )
            ).first()
            if row is not None:
                return _delivery(row)
        return None

    async def next_due_at(self) -> datetime | None:
        return (
            await self.c.execute(
                sa.select(sa.func.min(deliveries.c.next_attempt_at)).where(
                    deliveries.c.state == DeliveryState.PENDING.value
                )
            )
        ).scalar_one_or_none()

    async def finish(self, delivery_id: int, **values: Any) -> None:
        """Record the outcome of a claimed row."""
        await self.c.execute(
            sa.update(deliveries)
            .where(
                deliveries.c.id == delivery_id,
                deliveries.c.state == DeliveryState.SENDING.value,
            )
            .values(claimed_at=None, **values)
        )

    async def mark_unreachable(self, delivery_id: int) -> None:
        await self.c.execute(
            sa.update(deliveries)
            .where(deliveries.c.id == delivery_id)
            .values(state=DeliveryState.UNREACHABLE.value, sent_at=None, last_error="blocked")
        )

    async def release_claims(self, claimed_before: datetime) -> int:
        """Rows claimed by a worker that died: due again (a send in flight may repeat)."""
        result = await self.c.execute(
            sa.update(deliveries)
            .where(
                deliveries.c.state == DeliveryState.SENDING.value,
                deliveries.c.claimed_at < claimed_before,
            )
            .values(state=DeliveryState.PENDING.value, claimed_at=None)
        )
        return result.rowcount

    async def acknowledge(self, delivery_id: int, now: datetime) -> bool:
        result = await self.c.execute(
            sa.update(deliveries)
            .where(deliveries.c.id == delivery_id, deliveries.c.acknowledged_at.is_(None))
            .values(acknowledged_at=now)
        )
        return result.rowcount == 1

    async def counts(
        self, notice_ids: Sequence[int], scope: ScopeFilter | None = None
    ) -> DeliveryCounts:
        """Per state, one aggregate; within `scope`, only what was sent to its members."""
        if not notice_ids:
            return DeliveryCounts()
        query = (
            sa.select(
                deliveries.c.state,
                sa.func.count(),
                sa.func.count(deliveries.c.acknowledged_at),
            )
            .where(deliveries.c.notice_id.in_(list(notice_ids)))
            .group_by(deliveries.c.state)
        )
        if scope is not None and not scope.everything:
            query = query.where(deliveries.c.telegram_user_id.in_(scope.recipient_ids()))
        rows = await self.c.execute(query)
        by_state: dict[str, int] = {}
        acknowledged = 0
        for state, count, acks in rows:
            by_state[state] = count
            acknowledged += acks
        return DeliveryCounts(
            pending=by_state.get("pending", 0) + by_state.get("sending", 0),
            sent=by_state.get("sent", 0),
            failed=by_state.get("failed", 0),
            unreachable=by_state.get("unreachable", 0),
            acknowledged=acknowledged,
        )

    async def failed(
        self, notice_ids: Sequence[int], scope: ScopeFilter, limit: int
    ) -> list[tuple[str, str, str]]:
        """The first `limit` failed deliveries of these notices within `scope`, as (name,
        country, Telegram's reason); someone no longer a member is named by Telegram id."""
        if not notice_ids:
            return []
        query = (
            sa.select(
                deliveries.c.telegram_user_id,
                members.c.full_name,
                members.c.country,
                deliveries.c.last_error,
            )
            .select_from(
                deliveries.outerjoin(
                    members, members.c.telegram_user_id == deliveries.c.telegram_user_id
                )
            )
            .where(
                deliveries.c.notice_id.in_(list(notice_ids)),
                deliveries.c.state == DeliveryState.FAILED.value,
            )
            .order_by(deliveries.c.notice_id, deliveries.c.id)
            .limit(limit)
        )
        if not scope.everything:
            query = query.where(deliveries.c.telegram_user_id.in_(scope.recipient_ids()))
        return [
            (name or f"Telegram {user}", country or "", reason or "")
            for user, name, country, reason in await self.c.execute(query)
        ]

    async def requeue_undelivered(self, notice_id: int, now: datetime) -> int:
        """Queue again the rows of a notice that did not reach their recipient (failed or
        unreachable), never those that did; the give-up age starts again from now. A row
        whose first message went out keeps `parts_sent`, so only what is missing follows."""
        result = await self.c.execute(
            sa.update(deliveries)
            .where(deliveries.c.notice_id == notice_id, deliveries.c.state.in_(_NOT_DELIVERED))
            .values(
                state=DeliveryState.PENDING.value,
                attempts=0,
                next_attempt_at=now,
                requeued_at=now,
                claimed_at=None,
                last_error=None,
            )
        )
        return result.rowcount

    async def failure_reasons(self, notice_id: int) -> dict[str, int]:
        """How many rows of the notice failed, by the reason kept (Telegram's words)."""
        rows = await self.c.execute(
            sa.select(deliveries.c.last_error, sa.func.count())
            .where(
                deliveries.c.notice_id == notice_id,
                deliveries.c.state == DeliveryState.FAILED.value,
            )
            .group_by(deliveries.c.last_error)
        )
        return {str(reason or ""): count for reason, count in rows}

    async def of_notices(self, notice_ids: Sequence[int]) -> list[Delivery]:
        if not notice_ids:
            return []
        rows = await self.c.execute(
            sa.select(deliveries)
            .where(deliveries.c.notice_id.in_(list(notice_ids)))
            .order_by(deliveries.c.notice_id, deliveries.c.id)
        )
        return [_delivery(row) for row in rows]
