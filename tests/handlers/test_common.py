"""What every update goes through when something breaks: the person is told, in their
language; the operator is told, briefly and not too often; Telegram's own troubles are not
apologised for with a message that would meet them again."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from bot.config import Settings
from bot.domain.clock import FakeClock
from tests.auxil.harness import Harness, Person

OPERATORS = -1001234567890  # the operators' group
ANA = Person(501, "Ana", "Petrović", "sr")  # her Telegram speaks Serbian; she never chose


@pytest.fixture
async def alerting(settings: Settings, clock: FakeClock) -> Any:
    harness = await Harness(replace(settings, alert_chat=OPERATORS), clock).start()
    yield harness
    await harness.stop()


async def test_an_error_is_apologised_for_in_the_persons_language_and_alerted_once(
    alerting: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = alerting

    async def broken(user_id: int) -> Any:
        raise RuntimeError("the database said no, about Ana Petrović")

    monkeypatch.setattr(bot.services.roster, "principal", broken)
    await bot.say(ANA, "/help")

    sr = bot.services.i18n.translator("sr_Cyrl")
    apology = sr.gettext("Sorry, something went wrong on our side. Please try again in a moment.")
    assert bot.last_text(ANA) == apology
    alerts = [c.text for c in bot.api.sent(OPERATORS)]
    assert len(alerts) == 1
    assert "RuntimeError" in alerts[0]
    assert "handlers.help.help_command" in alerts[0]
    assert "/help" in alerts[0]
    assert "Petrović" not in alerts[0] and "said no" not in alerts[0]  # nothing personal

    # The same fault again at once: the person is told, the operator is not flooded.
    await bot.say(ANA, "/help")
    assert bot.last_text(ANA) == apology
    assert len(bot.api.sent(OPERATORS)) == 1
    # Ten minutes later it is told again, with how many were held back.
    bot.clock.advance(timedelta(minutes=11))
    await bot.say(ANA, "/help")
    alerts = [c.text for c in bot.api.sent(OPERATORS)]
    assert len(alerts) == 2
    assert "1 more alert was held back." in alerts[1]


async def test_telegram_asking_to_wait_is_not_answered_with_an_apology(
    alerting: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    bot = alerting
    # Ana's chat is flooded for longer than an interactive call waits.
    bot.api.fail(ANA.id, 429, "Too Many Requests: retry after 30", retry_after=30, times=5)
    await bot.say(ANA, "/help")
    assert bot.api.sent(ANA.id) == []  # no apology into the same wall
    assert bot.api.sent(OPERATORS) == []
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    assert any("RetryAfter" in r.getMessage() for r in caplog.records)


async def test_a_short_wait_is_waited_and_the_answer_goes_out(bot: Harness) -> None:
    bot.api.fail(ANA.id, 429, "Too Many Requests: retry after 1", retry_after=1)
    await bot.say(ANA, "/help")
    assert len(bot.api.refused) == 1
    assert len(bot.api.sent(ANA.id)) == 1  # tried once more, and through
