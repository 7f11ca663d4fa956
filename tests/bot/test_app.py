"""Start-up: the bot waits for the Bot API and the database instead of exiting."""

from __future__ import annotations

import logging

import pytest
from telegram.error import InvalidToken

from bot.app import quiet_chatty_loggers, wait_until_ready
from bot.config import Settings
from tests.auxil.fake_bot_api import FakeBotApi, RecordingRequest


async def test_start_up_waits_for_the_bot_api_with_growing_pauses(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    api = FakeBotApi()
    api.go_down("refuse")
    pauses: list[float] = []

    async def pause(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 4:
            api.restore()  # Telegram is back after a while

    with caplog.at_level(logging.WARNING, logger="bot.app"):
        await wait_until_ready(settings, request=RecordingRequest(api), sleep=pause)

    assert pauses == [1.0, 2.0, 4.0, 8.0]
    assert any(c.method == "getMe" for c in api.calls)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 4
    assert "does not answer" in lines[0] and "trying again in 1 s" in lines[0]
    assert settings.bot_token not in " ".join(lines)


async def test_start_up_waits_for_the_database(settings: Settings) -> None:
    from dataclasses import replace

    unreachable = replace(settings, database_url="postgresql+asyncpg://nobody@127.0.0.1:9/none")
    pauses: list[float] = []

    async def pause(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 2:
            raise TimeoutError  # enough: it waited rather than exit

    with pytest.raises(TimeoutError):
        await wait_until_ready(unreachable, request=RecordingRequest(FakeBotApi()), sleep=pause)
    assert pauses == [1.0, 2.0]


async def test_a_token_telegram_refuses_is_not_waited_for(settings: Settings) -> None:
    api = FakeBotApi()

    async def refuse(method: str, params: dict) -> None:  # type: ignore[type-arg]
        raise KeyError(method)  # the fake's 404: what Telegram answers to a wrong token

    api.handle = refuse  # type: ignore[method-assign]
    with pytest.raises(InvalidToken):
        await wait_until_ready(settings, request=RecordingRequest(api))


def test_the_scheduler_does_not_log_every_run_of_every_job() -> None:
    quiet_chatty_loggers()
    assert not logging.getLogger("apscheduler.executors.default").isEnabledFor(logging.INFO)
    assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)
