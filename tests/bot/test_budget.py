"""Several bot processes on one database share Telegram's budget (bot/budget.py)."""

from __future__ import annotations

from datetime import timedelta

from bot.budget import ALIVE, BudgetShare
from bot.domain.clock import FakeClock
from bot.ratelimit import TwoLaneRateLimiter
from storage.db import Database


async def test_processes_take_equal_shares_and_take_back_a_stopped_ones(
    db: Database, clock: FakeClock
) -> None:
    first = BudgetShare(db, clock, TwoLaneRateLimiter(), process_id="first")
    second = BudgetShare(db, clock, TwoLaneRateLimiter(), process_id="second")
    await first.start()
    try:
        if db.is_sqlite:  # one bot process by design: the whole budget, always
            assert first.limiter.share == 1.0
            return
        assert first.limiter.share == 1.0
        await second.start()
        try:
            assert second.limiter.share == 0.5
            assert second.limiter._hold_until > 0  # waits until the first has seen it
            assert await first.beat() == 2
            assert first.limiter.overall + second.limiter.overall <= 29
        finally:
            await second.stop()
        assert await first.beat() == 1
        assert first.limiter.share == 1.0
    finally:
        await first.stop()


async def test_a_process_that_died_gives_its_share_back_after_a_while(
    db: Database, clock: FakeClock
) -> None:
    if db.is_sqlite:
        return
    dead = BudgetShare(db, clock, TwoLaneRateLimiter(), process_id="dead")
    await dead.beat()  # and never again
    alive = BudgetShare(db, clock, TwoLaneRateLimiter(), process_id="alive")
    assert await alive.beat() == 2
    clock.advance(ALIVE + timedelta(seconds=1))
    assert await alive.beat() == 1
    assert alive.limiter.share == 1.0
