"""Pending inputs: what each person's next message answers (bot/domain/pending.py)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from storage.rows import Repo, upsert
from storage.schema import pending_inputs


class PendingInputRepo(Repo):
    async def get(self, telegram_user_id: int) -> Any | None:
        """The person's row (feature, subject, step, data as JSON text, expires_at), if any."""
        return (
            await self.c.execute(
                sa.select(pending_inputs).where(
                    pending_inputs.c.telegram_user_id == telegram_user_id
                )
            )
        ).first()

    async def save(
        self,
        telegram_user_id: int,
        *,
        feature: str,
        subject: str | None,
        step: str | None,
        data: dict[str, Any],
        expires_at: datetime,
        now: datetime,
    ) -> None:
        """Replace whatever the person had pending with this."""
        await upsert(
            self.c,
            pending_inputs,
            pending_inputs.c.telegram_user_id,
            telegram_user_id,
            {
                "feature": feature,
                "subject": subject,
                "step": step,
                "data": json.dumps(data, ensure_ascii=False, sort_keys=True),
                "expires_at": expires_at,
                "updated_at": now,
            },
        )

    async def delete(self, telegram_user_id: int, feature: str | None = None) -> bool:
        """End the person's pending input (only if it is of `feature`, when given)."""
        query = sa.delete(pending_inputs).where(
            pending_inputs.c.telegram_user_id == telegram_user_id
        )
        if feature is not None:
            query = query.where(pending_inputs.c.feature == feature)
        return bool((await self.c.execute(query)).rowcount)

    async def purge_expired(self, now: datetime) -> int:
        result = await self.c.execute(
            sa.delete(pending_inputs).where(pending_inputs.c.expires_at <= now)
        )
        return int(result.rowcount)
