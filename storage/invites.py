"""Invitation tokens tried by one person, so that guessing is slowed (bot/domain/invites.py)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.rows import upsert
from storage.schema import token_attempts


class TokenAttemptRepo:
    def __init__(self, connection: AsyncConnection) -> None:
        self.c = connection

    async def get(self, telegram_user_id: int) -> tuple[int, datetime] | None:
        """(failures, time of the last) for the person, or None."""
        row = (
            await self.c.execute(
                sa.select(token_attempts.c.failures, token_attempts.c.last_failure_at).where(
                    token_attempts.c.telegram_user_id == telegram_user_id
                )
            )
        ).first()
        return (int(row.failures), row.last_failure_at) if row else None

    async def failed(self, telegram_user_id: int, failures: int, now: datetime) -> None:
        await upsert(
            self.c,
            token_attempts,
            token_attempts.c.telegram_user_id,
            telegram_user_id,
            {"failures": failures, "last_failure_at": now},
        )

    async def clear(self, telegram_user_id: int) -> None:
        await self.c.execute(
            sa.delete(token_attempts).where(token_attempts.c.telegram_user_id == telegram_user_id)
        )
