"""Fixtures of the `convene` tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path) -> str:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    monkeypatch.setenv("CONVENE_DATABASE_URL", database_url)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    return database_url
