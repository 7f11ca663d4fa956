"""Secretariat dialogs in progress (a meeting being written, an announcement).

Kept in the database so that a restart loses nothing typed. One dialog per person: starting
one replaces another, and while one is open the person's typed text answers it.
"""

from __future__ import annotations

from typing import Any

from bot.domain.clock import Clock
from storage.db import Database


class Dialogs:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def save(self, telegram_user_id: int, kind: str, step: str, data: dict[str, Any]) -> None:
        now = self.clock.now()
        async with self.db.transaction() as tx:
            await tx.accounts.ensure(telegram_user_id, None, now)
            # Typed text now answers the dialog, not an older question (/timezone, a comment).
            await tx.accounts.set_preferences(telegram_user_id, now, awaiting=None)
            await tx.dialogs.save(telegram_user_id, kind, step, data, now)

    async def load(self, telegram_user_id: int, kind: str) -> tuple[str, dict[str, Any]] | None:
        """(step, data) of the person's open dialog of that kind, if any."""
        async with self.db.transaction() as tx:
            found = await tx.dialogs.get(telegram_user_id)
        if found is None or found[0] != kind:
            return None
        return found[1], found[2]

    async def drop(self, telegram_user_id: int) -> bool:
        """Close the person's dialog; False if there was none."""
        async with self.db.transaction() as tx:
            found = await tx.dialogs.get(telegram_user_id)
            await tx.dialogs.delete(telegram_user_id)
        return found is not None
