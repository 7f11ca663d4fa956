"""The storage path of a press, measured side by side (issue 13's decision).

Why: a press writes through SQLAlchemy's async connection, which over aiosqlite hops to the
driver's thread and back for every statement, fetch and commit. The issue asks whether a
transaction run in one step in the database's own thread (synchronous SQLAlchemy Core, or
the driver directly) would bring a press near the bare python-telegram-bot echo, and to
decide with numbers.

What is measured, in one process, on a throw-away database with `--members` members and
one meeting, the Bot API faked in process (as bench.rsvp_throughput):

1. the whole press through python-telegram-bot (`process_update`, the rate limiter's
   ceiling lifted), and the bare echo making the same two Bot API calls;
2. within the press, the time spent inside database transactions (from BEGIN to COMMIT,
   SQL compilation and the Python between statements included), from the engine's events;
3. the same transactions replayed statement for statement (the driver-level SQL and
   parameters captured from real presses, so no compilation) along each path:
   SQLite: (a) SQLAlchemy's async connection over aiosqlite, as the bot does today;
   (b) synchronous SQLAlchemy Core (pysqlite) with the whole transaction in one
   `asyncio.to_thread` hop; (c) sqlite3 directly in one dedicated thread, one hop per
   transaction. PostgreSQL: (d) SQLAlchemy's async connection over asyncpg; (e) asyncpg
   directly.

From these, "press if" = the whole press − the time in transactions + the replay along that
path: what a press would cost if only its storage path changed (an estimate: the replay
skips compilation, so it flatters every path alike).

Run: .venv/bin/python -m bench.storage_paths [--presses 1000] [--members 200]
                                             [--database-url postgresql+asyncpg://…]
Results: bench/results/storage_paths[_postgresql].json
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from telegram import Update

from bench.common import (
    callback_update,
    environment,
    invitation_ids,
    meeting_spec,
    offline_settings,
    table,
    write_results,
)
from bench.rsvp_throughput import WARMUP, _press_plan, run_bare
from bench.seed import fresh_database, seed_members
from bot.app import build_application
from tests.auxil.fake_bot_api import FakeBotApi, RecordingRequest

# One statement as the driver saw it: (SQL, parameters, executemany).
Statement = tuple[str, Any, bool]
Transaction = list[Statement]
ROUNDS = 5  # each replay is run this many times; the best round counts (least disturbed)


class Recorder:
    """The transactions on an engine, from its events: statements and time inside."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.transactions: list[Transaction] = []
        self.seconds = 0.0
        self._started: float | None = None
        self.capture = True

    def _begin(self, _connection: Any) -> None:
        self._started = time.perf_counter()
        if self.capture:
            self.transactions.append([])

    def _end(self, _connection: Any) -> None:
        if self._started is not None:
            self.seconds += time.perf_counter() - self._started
            self._started = None

    def _statement(
        self, _conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, many: bool
    ) -> None:
        # BEGIN IMMEDIATE is issued by storage/db.py's begin hook: each path begins its own way.
        if self.capture and self.transactions and not statement.startswith("BEGIN"):
            self.transactions[-1].append((statement, parameters, many))

    def __enter__(self) -> Recorder:
        event.listen(self.engine, "begin", self._begin)
        event.listen(self.engine, "commit", self._end)
        event.listen(self.engine, "rollback", self._end)
        event.listen(self.engine, "before_cursor_execute", self._statement)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "begin", self._begin)
        event.remove(self.engine, "commit", self._end)
        event.remove(self.engine, "rollback", self._end)
        event.remove(self.engine, "before_cursor_execute", self._statement)


async def _best(replay: Callable[[], Awaitable[None]], presses: int) -> float:
    """Seconds per press of the best of ROUNDS replays (after one to warm up)."""
    await replay()
    rounds = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        await replay()
        rounds.append((time.perf_counter() - started) / presses)
    return min(rounds)


async def replay_async(engine: Any, transactions: list[Transaction]) -> None:
    """(a)/(d): SQLAlchemy's async connection, statement by statement (the bot's path)."""
    for transaction in transactions:
        async with engine.begin() as connection:
            for statement, parameters, many in transaction:
                if many:
                    await connection.exec_driver_sql(statement, list(parameters))
                else:
                    result = await connection.exec_driver_sql(statement, parameters)
                    if result.returns_rows:
                        result.fetchall()


def _sync_transaction(engine: sa.Engine, transaction: Transaction) -> None:
    with engine.begin() as connection:
        for statement, parameters, many in transaction:
            if many:
                connection.exec_driver_sql(statement, list(parameters))
            else:
                result = connection.exec_driver_sql(statement, parameters)
                if result.returns_rows:
                    result.fetchall()


async def replay_sync_core(engine: sa.Engine, transactions: list[Transaction]) -> None:
    """(b): synchronous SQLAlchemy Core, the whole transaction in one thread hop."""
    for transaction in transactions:
        await asyncio.to_thread(_sync_transaction, engine, transaction)


class DriverThread:
    """(c): one sqlite3 connection living in one dedicated thread."""

    def __init__(self, path: str) -> None:
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        self.path = path
        self.connection: sqlite3.Connection | None = None

    def _open(self) -> None:
        self.connection = sqlite3.connect(self.path, isolation_level=None)
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL"):
            self.connection.execute(f"PRAGMA {pragma}")

    def _transaction(self, transaction: Transaction) -> None:
        if self.connection is None:
            self._open()
        assert self.connection is not None
        cursor = self.connection.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        for statement, parameters, many in transaction:
            if many:
                cursor.executemany(statement, parameters)
            else:
                cursor.execute(statement, parameters)
                cursor.fetchall()
        cursor.execute("COMMIT")

    async def replay(self, transactions: list[Transaction]) -> None:
        loop = asyncio.get_running_loop()
        for transaction in transactions:
            await loop.run_in_executor(self.executor, self._transaction, transaction)

    def close(self) -> None:
        def _close() -> None:
            if self.connection is not None:
                self.connection.close()

        self.executor.submit(_close).result()
        self.executor.shutdown()


async def replay_asyncpg(connection: Any, transactions: list[Transaction]) -> None:
    """(e): asyncpg directly, one transaction at a time."""
    for transaction in transactions:
        async with connection.transaction():
            for statement, parameters, many in transaction:
                if many:
                    await connection.executemany(statement, parameters)
                else:
                    await connection.fetch(statement, *parameters)


async def measure(members: int, presses: int, database_url: str | None) -> dict[str, Any]:
    async with fresh_database(database_url) as url:
        seeded = await seed_members(url, members)
        settings = offline_settings(url)
        api = FakeBotApi()
        request = RecordingRequest(api)
        app = build_application(
            settings, request=request, updates_request=request, start_worker=False
        )
        await app.initialize()
        assert app.post_init is not None
        await app.post_init(app)
        try:
            services = app.bot_data.services
            app.bot_data.limiter.overall_base = 10**9  # the handler's cost, not Telegram's
            announced = await services.meetings.announce(
                meeting_spec(seeded.team_slug), created_by=None
            )
            invitation_of = await invitation_ids(services.db, announced.meeting.id)
            users = seeded.telegram_user_ids
            plan = _press_plan(users, invitation_of, WARMUP + 2 * presses)

            async def press(j: int) -> None:
                update = callback_update(users[j % len(users)], plan[j])
                await app.process_update(Update.de_json(update, app.bot))

            for j in range(WARMUP):
                await press(j)
            with Recorder(services.db.engine.sync_engine) as recorder:
                recorder.capture = False
                started = time.perf_counter()
                for j in range(WARMUP, WARMUP + presses):
                    await press(j)
                whole = (time.perf_counter() - started) / presses
                in_transactions = recorder.seconds / presses
                recorder.capture = True
                for j in range(WARMUP + presses, WARMUP + 2 * presses):
                    await press(j)
            captured = recorder.transactions
            statements = sum(len(t) for t in captured) / presses
            paths: dict[str, float] = {}
            engine = services.db.engine
            paths["async SQLAlchemy (today)"] = await _best(
                lambda: replay_async(engine, captured), presses
            )
            if services.db.is_sqlite:
                path = engine.url.database
                assert path is not None
                sync_engine = sa.create_engine(
                    f"sqlite:///{path}", pool_size=1, max_overflow=0, poolclass=sa.QueuePool
                )

                @event.listens_for(sync_engine, "connect")
                def _connect(dbapi_connection: Any, _record: Any) -> None:
                    dbapi_connection.isolation_level = None
                    dbapi_connection.execute("PRAGMA synchronous=NORMAL")

                @event.listens_for(sync_engine, "begin")
                def _begin(connection: sa.Connection) -> None:
                    connection.exec_driver_sql("BEGIN IMMEDIATE")

                paths["sync Core, one thread hop"] = await _best(
                    lambda: replay_sync_core(sync_engine, captured), presses
                )
                sync_engine.dispose()
                driver = DriverThread(path)
                paths["sqlite3 in its own thread"] = await _best(
                    lambda: driver.replay(captured), presses
                )
                driver.close()
            else:
                import asyncpg

                raw = await engine.raw_connection()
                try:
                    # The same server session settings the bot's connection has (search_path).
                    connection = raw.driver_connection
                    paths["asyncpg directly"] = await _best(
                        lambda: replay_asyncpg(connection, captured), presses
                    )
                finally:
                    raw.close()
                assert asyncpg  # imported for its presence: the driver the bot already uses
        finally:
            assert app.post_shutdown is not None
            await app.post_shutdown(app)
            await app.shutdown()
    bare = await run_bare(members, max(presses, 1000))
    echo = bare["seconds"] / bare["updates"]
    today = paths["async SQLAlchemy (today)"]
    outside = whole - in_transactions
    return {
        "members": members,
        "presses": presses,
        "statements_per_press": statements,
        "whole_press_s": whole,
        "in_transactions_s": in_transactions,
        "outside_transactions_s": outside,
        "bare_echo_s": echo,
        "replay_s": paths,
        # The press if only its storage path changed: what remains outside the
        # transactions, plus the time the transactions take today scaled by the replay's
        # ratio (compilation and the Python between statements stay as they are).
        "press_if_s": {
            name: outside + in_transactions - today + seconds for name, seconds in paths.items()
        },
    }


def render(result: dict[str, Any]) -> str:
    echo = result["bare_echo_s"]
    rows: list[list[Any]] = [
        ["bare PTB echo (answer + edit)", None, echo * 1000, "100%"],
        [
            "whole press today",
            None,
            result["whole_press_s"] * 1000,
            _pct(echo, result["whole_press_s"]),
        ],
        ["  of which in transactions", None, result["in_transactions_s"] * 1000, None],
    ]
    for name, seconds in result["replay_s"].items():
        press_if = result["press_if_s"][name]
        rows.append([f"replay: {name}", seconds * 1000, press_if * 1000, _pct(echo, press_if)])
    return table(["path", "SQL ms/press", "press ms", "of echo's rate"], rows)


def _pct(echo: float, press: float) -> str:
    return f"{100 * echo / press:.1f}%"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.storage_paths")
    parser.add_argument("--presses", type=int, default=1000)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--database-url", help="postgresql+asyncpg://… (default SQLite)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    result = asyncio.run(measure(args.members, args.presses, args.database_url))
    result = {
        "benchmark": "storage_paths",
        "environment": environment(),
        "database": "postgresql" if args.database_url else "sqlite",
        **result,
    }
    print(render(result))
    name = "storage_paths_postgresql" if args.database_url else "storage_paths"
    print(f"\nresults: {write_results(name, result)}")


if __name__ == "__main__":
    main()
