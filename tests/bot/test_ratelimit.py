"""The two-lane rate limiter, on a virtual clock: broadcasts paced, replies never behind."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta

import pytest

from bot.ratelimit import BULK, TwoLaneRateLimiter, counted


class VirtualTime:
    """time.monotonic and asyncio.sleep stand-ins: sleeping moves the clock, instantly."""

    def __init__(self) -> None:
        self.now = 1000.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)


def max_in_window(times: list[float]) -> int:
    return max(sum(1 for u in times if t <= u < t + 1.0) for t in times)


async def test_bulk_sends_are_evenly_paced_and_leave_room_for_replies() -> None:
    time = VirtualTime()
    limiter = TwoLaneRateLimiter(clock=time.clock, sleep=time.sleep)
    sent: list[float] = []
    for _ in range(120):
        await limiter.bulk_slot()
        sent.append(time.now)
    gaps = [b - a for a, b in itertools.pairwise(sent)]
    assert min(gaps) >= 1 / 29 - 1e-9  # no burst, not even at the start
    assert max_in_window(sent) <= 29
    rate = (len(sent) - 1) / (sent[-1] - sent[0])
    assert rate >= 0.93 * 30

    # The bulk lane has filled this second; a reply waits for one slot, not for the queue.
    before = time.now
    await limiter.interactive_slot()
    assert time.now - before <= 1 / 29 + 1e-9


async def test_a_full_second_makes_even_replies_wait_a_little() -> None:
    time = VirtualTime()
    limiter = TwoLaneRateLimiter(clock=time.clock, sleep=time.sleep)
    for _ in range(29):
        await limiter.interactive_slot()
    start = time.now
    await limiter.interactive_slot()  # the 30th message in one second
    assert 0 < time.now - start <= 1.0


async def test_retry_after_pauses_the_bulk_lane_only() -> None:
    time = VirtualTime()
    limiter = TwoLaneRateLimiter(clock=time.clock, sleep=time.sleep)
    limiter.pause(5)
    start = time.now
    await limiter.interactive_slot()
    assert time.now == start
    await limiter.bulk_slot()
    assert time.now - start >= 5


async def test_only_message_methods_are_counted() -> None:
    assert counted("sendMessage") and counted("editMessageText") and counted("sendDocument")
    assert not counted("answerCallbackQuery") and not counted("getUpdates")

    calls: list[str] = []

    async def callback() -> bool:
        calls.append("called")
        return True

    time = VirtualTime()
    limiter = TwoLaneRateLimiter(clock=time.clock, sleep=time.sleep)
    for _ in range(100):
        await limiter.process_request(callback, (), {}, "answerCallbackQuery", {}, None)
    assert time.now == 1000.0 and len(calls) == 100
    await limiter.process_request(callback, (), {}, "sendMessage", {}, BULK)
    assert len(calls) == 101


async def test_an_interactive_call_told_to_wait_briefly_waits_and_is_tried_once_more(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from telegram.error import RetryAfter

    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # as bot/app.py opts in

    time = VirtualTime()
    limiter = TwoLaneRateLimiter(clock=time.clock, sleep=time.sleep)
    calls: list[float] = []

    async def flooded_once() -> dict[str, bool]:
        calls.append(time.now)
        if len(calls) == 1:
            raise RetryAfter(timedelta(seconds=2))
        return {"ok": True}

    result = await limiter.process_request(flooded_once, (), {}, "sendMessage", {}, None)
    assert result == {"ok": True}
    assert calls[1] - calls[0] >= 2  # waited retry_after, then once more

    async def always_flooded() -> None:
        calls.append(time.now)
        raise RetryAfter(timedelta(seconds=2))

    calls.clear()
    with pytest.raises(RetryAfter):
        await limiter.process_request(always_flooded, (), {}, "editMessageText", {}, None)
    assert len(calls) == 2  # once more, not forever

    async def long_wait() -> None:
        calls.append(time.now)
        raise RetryAfter(timedelta(seconds=60))

    calls.clear()
    with pytest.raises(RetryAfter):
        await limiter.process_request(long_wait, (), {}, "sendMessage", {}, None)
    assert len(calls) == 1  # a long wait fails at once: the caller is told


async def test_a_share_of_the_budget_keeps_both_lanes_under_it() -> None:
    time = VirtualTime()
    limiter = TwoLaneRateLimiter(clock=time.clock, sleep=time.sleep)
    limiter.set_share(0.5)  # two processes
    sent: list[float] = []
    for i in range(60):
        if i % 3:
            await limiter.bulk_slot()
        else:
            await limiter.interactive_slot()
        sent.append(time.now)
    assert max_in_window(sent) <= 13  # half of 29, less one: room for bunching

    limiter.hold(6.0)  # a process joining others waits until they have seen it
    before = time.now
    await limiter.interactive_slot()
    assert time.now - before >= 6.0
