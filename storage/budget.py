"""The bot processes serving one database, for sharing Telegram's budget (bot/budget.py)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from storage.rows import Repo, upsert
from storage.schema import bot_processes


class ProcessRepo(Repo):
    async def beat(self, process_id: str, now: datetime) -> None:
        """Say this process is alive (registering it the first time)."""
        await upsert(
            self.c,
            bot_processes,
            bot_processes.c.id,
            process_id,
            {"heartbeat_at": now},
            insert_only={"started_at": now},
        )

    async def alive(self, since: datetime) -> int:
        """How many processes beat at or after `since`."""
        return int(
            (
                await self.c.execute(
                    sa.select(sa.func.count())
                    .select_from(bot_processes)
                    .where(bot_processes.c.heartbeat_at >= since)
                )
            ).scalar_one()
        )

    async def remove(self, process_id: str) -> None:
        await self.c.execute(sa.delete(bot_processes).where(bot_processes.c.id == process_id))

    async def prune(self, before: datetime) -> None:
        """Forget processes that died without saying so."""
        await self.c.execute(sa.delete(bot_processes).where(bot_processes.c.heartbeat_at < before))
