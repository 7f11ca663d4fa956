"""What one reminder sweep costs with 100,000 planned reminders of which 1,000 are due.

Why: the sweep runs every 30 seconds in every bot process (bot/app.py), so its cost when
nothing is due is paid all the time, and its cost with a burst due (the morning after a
night of quiet hours) bounds how late a reminder can be. The planned reminders are rows
(`reminders`, indexed on state and send time); the sweep reads only the due ones, marks
them queued and turns them into `deliveries` rows in one transaction per 500.

Setup: a fresh migrated database with members (bench/seed.py), then 100,000 planned
reminders inserted in bulk: 99,000 due over the next 60 days, 1,000 due in the last ten
minutes (inside the grace period), over 20 requests' worth of steps. Measured, with the
clock fixed:

- idle: a sweep with nothing due (99,000 planned in the future), median of 20;
- due: the sweep that hands the 1,000 over (claim, mark, create notices and deliveries),
  repeated on a fresh copy of the 1,000 each round, median of 5;
- the 1,000 are checked: each queued once, each with exactly one delivery row.

Run: .venv/bin/python -m bench.reminder_sweep [--planned 100000] [--due 1000]
                                             [--database-url postgresql://…]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bench.common import environment, table, verdict, write_results
from bench.seed import fresh_database, seed_members
from bot.config import Settings
from bot.domain.clock import FakeClock
from bot.domain.models import ReminderStep, ReminderSubject, StepKind
from bot.domain.plans import Plans
from bot.domain.reminders import Reminders
from bot.services import planner_for
from storage.db import Database
from storage.schema import deliveries, notices, reminders

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
CHUNK = 5000
TARGET_DUE_MS = 2000.0  # the burst is handed over well within one sweep interval (30 s)
TARGET_IDLE_MS = 50.0


def _rows(members: list[int], planned: int, due: int) -> list[dict[str, Any]]:
    rows = []
    deadline = NOW + timedelta(days=70)
    for index in range(planned):
        user = members[index % len(members)]
        subject = str(ReminderSubject.request(index // len(members) % 20 + 1))
        step_group = index // (len(members) * 20)
        if index < due:
            send_at = NOW - timedelta(seconds=1 + index % 600)
        else:
            send_at = NOW + timedelta(minutes=1 + index % (60 * 24 * 60))
        rows.append(
            {
                "subject": subject,
                "step": str(ReminderStep(StepKind.BEFORE, deadline, 3600 * (step_group + 1))),
                "telegram_user_id": user,
                "response_id": None,
                "due_at": send_at,
                "send_at": send_at,
                "state": "planned",
                "created_at": NOW - timedelta(days=1),
            }
        )
    return rows


async def _insert(db: Database, rows: list[dict[str, Any]]) -> None:
    async with db.engine.begin() as connection:
        for start in range(0, len(rows), CHUNK):
            await connection.execute(sa.insert(reminders), rows[start : start + CHUNK])


async def _reset_due(db: Database, due_ids: list[int]) -> None:
    """Put the due ones back to planned and forget what the last sweep created."""
    async with db.engine.begin() as connection:
        await connection.execute(sa.delete(deliveries))
        await connection.execute(sa.delete(notices))
        for start in range(0, len(due_ids), CHUNK):
            await connection.execute(
                sa.update(reminders)
                .where(reminders.c.id.in_(due_ids[start : start + CHUNK]))
                .values(state="planned", handled_at=None)
            )


async def run(database_url: str | None, planned: int, due: int, members: int) -> dict[str, Any]:
    async with fresh_database(database_url) as url:
        seeded = await seed_members(url, members)
        db = Database(url)
        try:
            rows = _rows(seeded.telegram_user_ids, planned, due)
            started = time.perf_counter()
            await _insert(db, rows)
            insert_seconds = time.perf_counter() - started
            async with db.engine.begin() as connection:
                if db.is_sqlite:
                    await connection.execute(sa.text("ANALYZE"))
                else:
                    await connection.execute(sa.text("ANALYZE reminders"))
                due_ids = list(
                    (
                        await connection.execute(
                            sa.select(reminders.c.id).where(reminders.c.send_at <= NOW)
                        )
                    ).scalars()
                )
            settings = Settings.parse({"CONVENE_DATABASE_URL": url})
            planner = planner_for(settings)
            clock = FakeClock(NOW)
            sweeper = Reminders(db, clock, planner, Plans(db, clock, planner))

            due_ms = []
            for round_ in range(5):
                if round_:
                    await _reset_due(db, due_ids)
                started = time.perf_counter()
                report = await sweeper.sweep()
                due_ms.append((time.perf_counter() - started) * 1000)
                if report.queued != due:
                    raise AssertionError(f"queued {report.queued}, expected {due}")
            idle_ms = []
            for _ in range(20):
                started = time.perf_counter()
                report = await sweeper.sweep()
                idle_ms.append((time.perf_counter() - started) * 1000)
                if report.queued:
                    raise AssertionError("an idle sweep queued reminders")
            async with db.engine.connect() as connection:
                queued = (
                    await connection.execute(
                        sa.select(sa.func.count())
                        .select_from(reminders)
                        .where(reminders.c.state == "queued")
                    )
                ).scalar_one()
                delivery_rows = (
                    await connection.execute(sa.select(sa.func.count()).select_from(deliveries))
                ).scalar_one()
                still_planned = (
                    await connection.execute(
                        sa.select(sa.func.count())
                        .select_from(reminders)
                        .where(reminders.c.state == "planned")
                    )
                ).scalar_one()
        finally:
            await db.close()
    return {
        "backend": "postgresql" if url.startswith("postgresql") else "sqlite",
        "planned": planned,
        "due": due,
        "members": members,
        "insert_seconds": round(insert_seconds, 2),
        "due_sweep_ms": {
            "median": round(statistics.median(due_ms), 1),
            "all": [round(v, 1) for v in due_ms],
        },
        "idle_sweep_ms": {
            "median": round(statistics.median(idle_ms), 2),
            "max": round(max(idle_ms), 2),
        },
        "queued": queued,
        "deliveries": delivery_rows,
        "still_planned": still_planned,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.reminder_sweep")
    parser.add_argument("--planned", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=1_000)
    parser.add_argument("--members", type=int, default=2_000)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    args = parser.parse_args(argv)
    result = asyncio.run(run(args.database_url, args.planned, args.due, args.members))
    ok = (
        result["due_sweep_ms"]["median"] <= TARGET_DUE_MS
        and result["idle_sweep_ms"]["median"] <= TARGET_IDLE_MS
        and result["queued"] == args.due
        and result["deliveries"] == args.due
        and result["still_planned"] == args.planned - args.due
    )
    print(
        table(
            [
                "backend",
                "planned",
                "due",
                "sweep with due (ms)",
                "idle sweep (ms)",
                "queued",
                "deliveries",
                "verdict",
            ],
            [
                [
                    result["backend"],
                    result["planned"],
                    result["due"],
                    result["due_sweep_ms"]["median"],
                    result["idle_sweep_ms"]["median"],
                    result["queued"],
                    result["deliveries"],
                    verdict(ok),
                ]
            ],
        )
    )
    name = "reminder_sweep" + ("_postgresql" if result["backend"] == "postgresql" else "")
    result["environment"] = environment()
    result["targets"] = {"due_sweep_ms": TARGET_DUE_MS, "idle_sweep_ms": TARGET_IDLE_MS}
    print(f"\nresults: {write_results(name, result)}")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
