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

Several bot processes on one database share the budget: each takes `share` of it
(bot/budget.py sets 1/n for n processes alive), so together they stay under the limit.

An interactive call that meets a 429 (Telegram's one-message-a-second in one chat, or a
full budget) waits `retry_after` and is tried once more when that is short, instead of
being dropped and followed by an apology that would meet the same 429.
"""

from __future__ import annotations

import asyncio
import time
import warnings
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

BULK = "bulk"  # rate_limit_args of a broadcast send: wait for a paced slot
PREPAID = "prepaid"  # a broadcast send whose slot the worker already took

_COUNTED_PREFIXES = ("send", "edit", "copy", "forward")
JSONResult = bool | dict[str, Any] | list[dict[str, Any]]  # what a Bot API call answers
# An interactive call told to wait at most this long waits and is tried once more; a longer
# wait fails it at once (the person is better served by the error than by silence).
INTERACTIVE_RETRY_MAX_SECONDS = 5.0


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
        self.overall_base = overall_per_second
        self.bulk_base = bulk_per_second
        self.share = 1.0  # of the budget, this process's part (bot/budget.py)
        self._hold_until = 0.0  # no counted request before (a process joining others)
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

    @property
    def overall(self) -> int:
        """Messages this process may have in any one second: all 29 alone; with others, its
        whole share less one (13 each for two processes, 26 together), because each process
        counts on its own clock and their sends bunch independently on the way to Telegram
        (measured: two processes at 14 each still met the odd 429)."""
        if self.share >= 1.0:
            return self.overall_base
        return max(int(self.overall_base * self.share) - 1, 1)

    @property
    def bulk_rate(self) -> float:
        if self.share >= 1.0:
            return self.bulk_base
        return float(min(self.overall, self.bulk_base))

    def set_share(self, share: float) -> None:
        """Take this part of the budget: 1/n with n processes sending for one bot."""
        self.share = min(max(share, 0.0), 1.0)

    def hold(self, seconds: float) -> None:
        """Send nothing counted for a while: until the other processes have seen this one
        and given up part of their budget."""
        self._hold_until = max(self._hold_until, self._clock() + seconds)

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
                wait = max(
                    self._paused_until - now, self._hold_until - now, self._next_bulk - now, 0.0
                )
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
            if now < self._hold_until:
                await self._sleep(self._hold_until - now)
                continue
            self._prune(now)
            if len(self._window) < self.overall:
                self._window.append(now)
                return
            await self._sleep(self._window[0] + 1.0 - now)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: str | None,
    ) -> JSONResult:
        interactive = rate_limit_args not in (BULK, PREPAID)
        if counted(endpoint):
            if rate_limit_args == BULK:
                await self.bulk_slot()
            elif interactive:
                await self.interactive_slot()
        try:
            return await callback(*args, **kwargs)
        except RetryAfter as error:
            # Broadcasts handle their own 429s (bot/delivery.py); an interactive call waits a
            # short retry_after and is tried once more.
            seconds = retry_after_seconds(error)
            if not interactive or seconds > INTERACTIVE_RETRY_MAX_SECONDS:
                raise
            await self._sleep(seconds)
            if counted(endpoint):
                await self.interactive_slot()
            return await callback(*args, **kwargs)


def retry_after_seconds(error: RetryAfter) -> float:
    # PTB 22 warns that retry_after will become a timedelta; accept both, quietly.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value: object = error.retry_after
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)  # type: ignore[arg-type]
