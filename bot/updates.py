"""Updates of different people in parallel, each person's in the order they came, fairly.

PTB processes updates one at a time by default: a reply that waits on Telegram (tens of
milliseconds each way) holds up everyone behind it, which during a broadcast, when many
members press buttons within minutes, adds up. Processing all updates concurrently would
let one person's "Comment" text overtake their own button press. So: concurrently across
people, in order within one person (or chat).

Fairness: a person's turn is taken before one of the shared processing slots, so one
person's queued updates wait on their own turn and never hold the slots everyone needs
(measured before: one user's 1,000 updates made 40 others wait 57 s for /help). And one
person may have at most MAX_QUEUED updates waiting: Telegram lets the bot answer about one
message a second in one chat, so more could never be answered in time; the excess is
dropped, and the person told once, politely, per burst.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

logger = logging.getLogger(__name__)

MAX_QUEUED = 20  # per person, the one in progress included
UNBOUNDED = 1_000_000  # PTB's semaphore: not the limit (see PerUserUpdateProcessor)


def _key(update: object) -> int | None:
    if isinstance(update, Update):
        if update.effective_user is not None:
            return update.effective_user.id
        if update.effective_chat is not None:
            return update.effective_chat.id
    return None


class PerUserUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = 32, max_queued: int = MAX_QUEUED) -> None:
        # PTB's own semaphore is taken before do_process_update, that is before the person's
        # turn: it is set out of the way, and the shared slots are taken here, after the turn.
        super().__init__(UNBOUNDED)
        self._slots = asyncio.BoundedSemaphore(max_concurrent_updates)
        self.max_queued = max_queued
        # Told, in the person's language, that some of their updates were dropped; set by
        # the composition root (bot/app.py), which knows the bot and the catalogs.
        self.on_dropped: Callable[[Update], Awaitable[None]] | None = None
        # One lock per person with updates in progress, and how many are using it, so the
        # table does not grow with every person who ever wrote.
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}
        self._dropping: set[int] = set()  # people told about this burst already
        self._notices: set[asyncio.Task[None]] = set()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _key(update)
        if key is None:
            async with self._slots:
                await coroutine
            return
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        if users >= self.max_queued:
            self._drop(key, update, coroutine)
            return
        self._locks[key] = (lock, users + 1)
        try:
            # The person's turn first (asyncio.Lock is FIFO: arrival order is kept), then a
            # shared slot: in this order, and no other.
            async with lock, self._slots:
                await coroutine
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
                self._dropping.discard(key)
            else:
                self._locks[key] = (lock, users - 1)

    def _drop(self, key: int, update: object, coroutine: Awaitable[Any]) -> None:
        if isinstance(coroutine, Coroutine):
            coroutine.close()  # never started: nothing to undo
        if key in self._dropping:
            return
        self._dropping.add(key)
        logger.warning("Updates of one person arrive too fast: dropping the excess")
        if self.on_dropped is not None and isinstance(update, Update):
            task = asyncio.create_task(self._tell(update))
            self._notices.add(task)
            task.add_done_callback(self._notices.discard)

    async def _tell(self, update: Update) -> None:
        assert self.on_dropped is not None
        try:
            await self.on_dropped(update)
        except Exception as error:  # the notice is a courtesy; the drop stands
            logger.debug("Could not tell about dropped updates (%s)", type(error).__name__)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass
