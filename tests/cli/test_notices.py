"""Announcements from `convene` (bot/cli/notices.py), run in process against a real database."""

from __future__ import annotations

import pytest

from tests.auxil.cli import run


async def test_an_announcement_from_the_cli(
    env: str, capsys: pytest.CaptureFixture[str], tmp_path
) -> None:  # type: ignore[no-untyped-def]
    assert await run("announce", "--all", "--text", "Hello") == 1
    assert "nobody" in capsys.readouterr().err  # no members yet
    assert await run("announce", "--team", "nope", "--text", "Hello") == 1
    assert "unknown team (nope)" in capsys.readouterr().err
    assert await run("announce", "--all", "--text", "x", "--document", "missing.pdf") == 1
    assert "no file 'missing.pdf'" in capsys.readouterr().err
