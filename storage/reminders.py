"""Planned reminders: one row per subject, person and moment."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from bot.domain.models import Reminder, ReminderState
from storage.rows import Repo, chunks, insert_ignore, is_postgres
from storage.schema import reminders


def _reminder(row: Any) -> Reminder:
    return Reminder(
        id=row.id,
        subject=row.subject,
        step=row.step,
        telegram_user_id=row.telegram_user_id,
        response_id=row.response_id,
        due_at=row.due_at,
        send_at=row.send_at,
        state=ReminderState(row.state),
    )


class ReminderRepo(Repo):
    async def plan(self, rows: Sequence[dict[str, Any]], now: datetime) -> int:
        """Add planned reminders; one that exists (same subject, step, recipient) is kept."""
        added = 0
        for chunk in chunks(list(rows)):
            result = await self.c.execute(
                insert_ignore(self.c, reminders),
                [{**row, "state": ReminderState.PLANNED.value, "created_at": now} for row in chunk],
            )
            added += max(result.rowcount, 0)
        return added

    async def drop_planned(
        self,
        subject: str,
        *,
        users: Sequence[int] | None = None,
        response_ids: Sequence[int] | None = None,
        step_prefixes: Sequence[str] = (),
    ) -> int:
        """Forget reminders not yet sent (they are re-planned from the current state)."""
        query = sa.delete(reminders).where(
            reminders.c.subject == subject, reminders.c.state == ReminderState.PLANNED.value
        )
        if users is not None:
            query = query.where(reminders.c.telegram_user_id.in_(list(users)))
        if response_ids is not None:
            query = query.where(reminders.c.response_id.in_(list(response_ids)))
        if step_prefixes:
            query = query.where(
                sa.or_(*[reminders.c.step.startswith(prefix) for prefix in step_prefixes])
            )
        result = await self.c.execute(query)
        return max(result.rowcount, 0)

    async def claim_due(self, now: datetime, limit: int) -> list[Reminder]:
        """The next due planned reminders, locked for this transaction on PostgreSQL (another
        sweeping process skips them), in the order they are due."""
        query = (
            sa.select(reminders)
            .where(reminders.c.state == ReminderState.PLANNED.value, reminders.c.send_at <= now)
            .order_by(reminders.c.send_at, reminders.c.id)
            .limit(limit)
        )
        if is_postgres(self.c):
            query = query.with_for_update(skip_locked=True)
        return [_reminder(row) for row in await self.c.execute(query)]

    async def mark(self, ids: Sequence[int], state: ReminderState, now: datetime) -> int:
        done = 0
        for chunk in chunks(list(ids)):
            result = await self.c.execute(
                sa.update(reminders)
                .where(
                    reminders.c.id.in_(list(chunk)),
                    reminders.c.state == ReminderState.PLANNED.value,
                )
                .values(state=state.value, handled_at=now)
            )
            done += max(result.rowcount, 0)
        return done

    async def next_send_at(self) -> datetime | None:
        """When the next planned reminder is due (tests move their clock there)."""
        return (
            await self.c.execute(
                sa.select(sa.func.min(reminders.c.send_at)).where(
                    reminders.c.state == ReminderState.PLANNED.value
                )
            )
        ).scalar_one_or_none()

    async def of_subject(self, subject: str) -> list[Reminder]:
        rows = await self.c.execute(
            sa.select(reminders)
            .where(reminders.c.subject == subject)
            .order_by(reminders.c.send_at, reminders.c.telegram_user_id, reminders.c.id)
        )
        return [_reminder(row) for row in rows]
