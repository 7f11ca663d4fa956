"""Several bot processes, one Telegram budget: each takes 1/n of the 30 messages a second.

With two or more processes on one PostgreSQL database (webhook mode behind one proxy),
each process's rate limiter alone would allow 29 a second, and together they would
exceed Telegram's limit (measured: 208 requests refused with 429 and 14 of 60 replies
lost with two processes). Decision: each process beats a row of `bot_processes` every
BEAT seconds and takes 1/n of the budget, n being the processes that beat within ALIVE.
Both lanes of each process stay under their share in every sliding second, so the sum
stays under the limit in every second, with no round trip to the database per message.
The delivery queue is shared anyway, so a broadcast still goes out at the full rate.

A process that joins others holds its messages for one beat and a little, until they have
seen it and given up their part; a process that stops removes its row, and one that dies
is dropped after ALIVE, after which the others take its part back.

SQLite means one bot process by design: there, the share is always the whole budget.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from datetime import timedelta

from bot.domain.clock import Clock
from bot.ratelimit import TwoLaneRateLimiter
from storage.db import Database

logger = logging.getLogger(__name__)

BEAT = timedelta(seconds=5)
ALIVE = timedelta(seconds=16)  # three missed beats and a little: the process is gone
FORGET = timedelta(hours=1)


class BudgetShare:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        limiter: TwoLaneRateLimiter,
        *,
        process_id: str | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.limiter = limiter
        self.process_id = process_id or str(uuid.uuid4())
        self.processes = 1
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Join: beat once, take the share, and hold if others were already sending."""
        if self.db.is_sqlite:
            return
        await self.beat()
        if self.processes > 1:
            self.limiter.hold(BEAT.total_seconds() + 1.0)
        self._task = asyncio.create_task(self._run(), name="budget-share")

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        with contextlib.suppress(Exception):  # best effort: it is dropped after ALIVE anyway
            async with self.db.transaction() as tx:
                await tx.processes.remove(self.process_id)

    async def beat(self) -> int:
        """Say this process is alive; take 1/n of the budget; return n."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            await tx.processes.beat(self.process_id, now)
            await tx.processes.prune(now - FORGET)
            alive = max(await tx.processes.alive(now - ALIVE), 1)
        if alive != self.processes:
            logger.info("%s bot processes share Telegram's budget", alive)
        self.processes = alive
        self.limiter.set_share(1.0 / alive)
        return alive

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(BEAT.total_seconds())
            try:
                await self.beat()
            except Exception as error:  # the database is away: keep the last share
                logger.debug("Could not beat (%s)", type(error).__name__)
