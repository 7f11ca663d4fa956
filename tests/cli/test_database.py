"""`convene run` (bot/cli/database.py), run in process."""

from __future__ import annotations

import pytest

from bot.cli import main


def test_run_without_token_ends_at_once_with_advice(
    env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run"]) == 2
    assert "@BotFather" in capsys.readouterr().err
