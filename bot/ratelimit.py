"""Two lanes under one flood limit: paced broadcasts, and replies that never wait behind them.

Telegram allows about 30 messages a second overall. PTB's AIORateLimiter lets bursts
of 30 through and queues replies behind broadcasts (see shared/TELEGRAM_NOTES.md), so
Convene uses its own limiter, given to PTB through ApplicationBuilder.rate_limiter:

- the bulk lane (the delivery worker) is paced evenly at `bulk_per_second`, never in
  bursts, and only while the last second holds fewer than `bulk_per_second` messages;
- the interactive lane (everything else) goes at once, and waits only while the last
  second already holds `overall_per_second` messages: during a broadcast at most one
  bulk spacing (~35 ms), never behind the broadcast's queue.

Both stop at 29 a second, one below Telegram's 30: our clock stamps a request when it
leaves, Telegram counts when it arrives, and a busy event loop can bunch arrivals enough to
turn 30 into 31 (measured: two 429s in a 1,000-member broadcast with replies, at 30).

Only methods that post or change messages count; answering a button press, setting
menus or polling for updates does not.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram.ext import BaseRateLimiter

BULK = "bulk"  # rate_limit_args of a broadcast send: wait for a paced slot
PREPAID = "prepaid"  # a broadcast send whose slot the worker already took

_COUNTED_PREFIXES = ("send", "edit", "copy", "forward")


def counted(endpoint: str) -> bool:
    return endpoint.startswith(_COUNTED_PREFIXES)


class TwoLaneRateLimiter(BaseRateLimiter[str]):
    def __init__(
        self,
        overall_per_second: int = 29,
        bulk_per_second: float = 29.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.overall = overall_per_second
        self.bulk_rate = bulk_per_second
        self._clock = clock
        self._sleep = sleep
        self._window: deque[float] = deque()
        self._next_bulk = 0.0
        self._paused_until = 0.0
        self._bulk_lock = asyncio.Lock()

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    def _prune(self, now: float) -> None:
        while self._window and self._window[0] <= now - 1.0:
            self._window.popleft()

    def pause(self, seconds: float) -> None:
        """Telegram said retry_after: the bulk lane waits that long (replies do not)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    async def bulk_slot(self) -> None:
        """Wait for the next evenly paced broadcast slot, then take it."""
        async with self._bulk_lock:
            while True:
                now = self._clock()
                self._prune(now)
                wait = max(self._paused_until - now, self._next_bulk - now, 0.0)
                if len(self._window) >= int(self.bulk_rate):
                    wait = max(wait, self._window[0] + 1.0 - now)
                if wait <= 0:
                    break
                await self._sleep(wait)
            self._window.append(now)
            # Keep the cadence: the next slot follows the one scheduled, not the moment this
            # wait happened to end (a sleep overruns by a millisecond or so, which would add
            # up to a lower rate). After an idle spell the cadence starts again from now.
            spacing = 1.0 / self.bulk_rate
            scheduled = self._next_bulk if now - self._next_bulk < spacing else now
            self._next_bulk = scheduled + spacing

    async def interactive_slot(self) -> None:
        while True:
            now = self._clock()
            self._prune(now)
            if len(self._window) < self.overall:
                self._window.append(now)
                return
            await self._sleep(self._window[0] + 1.0 - now)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | None]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: str | None,
    ) -> bool | dict[str, Any] | None:
        if counted(endpoint):
            if rate_limit_args == BULK:
                await self.bulk_slot()
            elif rate_limit_args != PREPAID:
                await self.interactive_slot()
        return await callback(*args, **kwargs)
