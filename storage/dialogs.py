"""Secretariat dialogs in progress."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from storage.rows import Repo, upsert
from storage.schema import dialogs


class DialogRepo(Repo):
    async def get(self, telegram_user_id: int) -> tuple[str, str, dict[str, Any]] | None:
        row = (
            await self.c.execute(
                sa.select(dialogs).where(dialogs.c.telegram_user_id == telegram_user_id)
            )
        ).first()
        if row is None:
            return None
        return row.kind, row.step, json.loads(row.data)

    async def save(
        self, telegram_user_id: int, kind: str, step: str, data: dict[str, Any], now: datetime
    ) -> None:
        encoded = json.dumps(data, ensure_ascii=False, sort_keys=True)
        await upsert(
            self.c,
            dialogs,
            dialogs.c.telegram_user_id,
            telegram_user_id,
            {"kind": kind, "step": step, "data": encoded, "updated_at": now},
        )

    async def delete(self, telegram_user_id: int) -> None:
        await self.c.execute(
            sa.delete(dialogs).where(dialogs.c.telegram_user_id == telegram_user_id)
        )
