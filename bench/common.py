"""Pieces the benchmarks share: hand-built updates, the meeting they announce, output.

The update dicts have the shape tests/auxil/harness.py builds (and Telegram sends) for a
button press in a private chat; they are built here so that the benchmarks do not depend
on the test helpers' global counters.
"""

from __future__ import annotations

import itertools
import json
import platform
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bot.config import Settings
from bot.domain.meetings import MeetingSpec
from bot.domain.models import Audience, MeetingMode
from bot.domain.request_models import AnswerKind
from bot.domain.requests import RequestSpec
from storage.db import Database
from storage.schema import invitations, members
from tests.auxil.fake_bot_api import TOKEN

RESULTS_DIR = Path(__file__).resolve().parent / "results"
BENCH_TOKEN = "7000000001:BENCH-token-for-the-limited-bot-api"

# Far above any id the seeded data or the bot produces; unique within a process.
_update_ids = itertools.count(5_000_000)


def offline_settings(database_url: str) -> Settings:
    """The bot's settings for an in-process benchmark: the fake's token, and a Bot API URL
    that is never reached (the fake answers through its request object)."""
    return Settings.parse(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "CONVENE_DATABASE_URL": database_url,
            "CONVENE_TELEGRAM_API_URL": "http://127.0.0.1:9",  # never reached
        }
    )


def callback_update(user_id: int, data: str, message_id: int = 1) -> dict[str, Any]:
    """A press of an inline button with `data` on message `message_id` in `user_id`'s chat."""
    update_id = next(_update_ids)
    user = {"id": user_id, "is_bot": False, "first_name": "Bench", "language_code": "en"}
    return {
        "update_id": update_id,
        "callback_query": {
            "id": str(update_id),
            "from": user,
            "chat_instance": "1",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": user_id, "type": "private", "first_name": "Bench"},
                "text": "…",
            },
        },
    }


def message_update(user_id: int, text: str, update_id: int | None = None) -> dict[str, Any]:
    """A text message from `user_id` in their private chat; a leading /command is marked
    as one, as Telegram does, so that CommandHandler sees it. The update id is the next of
    this process unless given."""
    update_id = next(_update_ids) if update_id is None else update_id
    user = {"id": user_id, "is_bot": False, "first_name": "Bench", "language_code": "en"}
    message: dict[str, Any] = {
        "message_id": update_id,
        "date": int(time.time()),
        "chat": {"id": user_id, "type": "private", "first_name": "Bench"},
        "from": user,
        "text": text,
    }
    if text.startswith("/"):
        command = text.split()[0]
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return {"update_id": update_id, "message": message}


def meeting_spec(team_slug: str, now: datetime | None = None) -> MeetingSpec:
    """An in-person meeting in Belgrade in 30 days, answers due in 20, for one team."""
    now = now or datetime.now(UTC)
    starts = (now + timedelta(days=30)).replace(hour=8, minute=0, second=0, microsecond=0)
    return MeetingSpec(
        title="Benchmark meeting of the expert team",
        starts_at=starts,
        ends_at=starts + timedelta(hours=8),
        timezone="Europe/Belgrade",
        mode=MeetingMode.IN_PERSON,
        rsvp_deadline=now + timedelta(days=20),
        audience=Audience(teams=(team_slug,)),
        description="Measuring how fast the invitations go out.",
        agenda="1. Opening\n2. Throughput\n3. Closing",
        city="Belgrade",
        venue="Palace of Serbia",
    )


def request_spec(countries: Sequence[str], now: datetime | None = None) -> RequestSpec:
    """A choice request to `countries` (each answers once for its delegation), due in 20
    days."""
    now = now or datetime.now(UTC)
    return RequestSpec(
        title="Nomination of the national contact point",
        body="Please confirm whether your country takes part in the technical meeting.",
        deadline=now + timedelta(days=20),
        timezone="Europe/Belgrade",
        audience=Audience(countries=tuple(countries)),
        answer_kind=AnswerKind.CHOICE,
        options=("We take part", "We do not take part"),
    )


async def invitation_ids(db: Database, meeting_id: int) -> dict[int, int]:
    """telegram_user_id -> invitation id, for every invitation of the meeting."""
    async with db.engine.connect() as connection:
        rows = await connection.execute(
            sa.select(members.c.telegram_user_id, invitations.c.id)
            .join(members, members.c.id == invitations.c.member_id)
            .where(invitations.c.meeting_id == meeting_id)
        )
        return {int(user_id): int(inv_id) for user_id, inv_id in rows}


async def answers(db: Database, meeting_id: int) -> dict[str | None, int]:
    """How many invitations of the meeting hold each answer (None: not answered)."""
    async with db.engine.connect() as connection:
        rows = await connection.execute(
            sa.select(invitations.c.answer, sa.func.count())
            .where(invitations.c.meeting_id == meeting_id)
            .group_by(invitations.c.answer)
        )
        return {answer: int(count) for answer, count in rows}


def environment() -> dict[str, Any]:
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "when_utc": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def write_results(name: str, data: dict[str, Any]) -> Path:
    """Write bench/results/<name>.json (pretty, stable key order); return its path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
    return path


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain fixed-width table; floats with up to three decimals."""

    def cell(value: Any) -> str:
        if value is None:
            return "-"
        if isinstance(value, float):
            return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
        return str(value)

    cells = [[cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(lines)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"
