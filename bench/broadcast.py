"""Broadcast benchmark: the real bot against a Bot API that enforces Telegram's flood limits.

Why: the delivery worker (bot/delivery.py) paces broadcasts through the bulk lane of the
rate limiter (bot/ratelimit.py). Whether that pacing uses the allowed 30 messages a second
well, without provoking 429s and without losing or repeating anyone, can only be seen
against a server that refuses what Telegram would refuse: bench/limited_bot_api.py, run
here as a separate process on loopback, so that its work does not share the bot's event
loop.

Scenarios:
- announcement: N active members, one announcement to everyone (one message each);
- presses: N members in one team, a meeting announced to the team (an invitation card and
  an .ics file each, two messages), and while it goes out, two RSVP presses a second from
  random distinct members, each timed from `process_update` until it returns (the press is
  answered and the card edited through the interactive lane).

The application is the one production builds (`build_application`, worker started by
`post_init`); only the Bot API URL points at the limited server.

Run:
    .venv/bin/python -m bench.broadcast                          # announcement 1000 and 10000,
                                                                 # then presses for 1000
    .venv/bin/python -m bench.broadcast --members 1000           # announcement only
    .venv/bin/python -m bench.broadcast --members 1000 --presses # presses only
Options: --database-url URL (default a temporary SQLite file; a PostgreSQL URL gets a schema
of its own, dropped afterwards), --latency-ms MS (round trip the server adds, default 0).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
from telegram import Update
from telegram.ext import Application, CallbackContext

from bench.common import (
    BENCH_TOKEN,
    answers,
    callback_update,
    environment,
    invitation_ids,
    meeting_spec,
    table,
    verdict,
    write_results,
)
from bench.seed import fresh_database, seed_members
from bench.stats import percentile, summarize
from bot.app import build_application
from bot.config import Settings, redact_url
from bot.domain.models import Audience
from bot.domain.notices import AnnouncementSpec

logger = logging.getLogger("bench.broadcast")

ROOT = Path(__file__).resolve().parent.parent
LIMIT_PER_SECOND = 30
TARGET_SHARE = 0.93
TARGET_PRESS_P95_S = 1.0
POLL_SECONDS = 0.5
PRESS_INTERVAL_S = 0.5  # two presses a second
SERVER_START_TIMEOUT_S = 20.0
PRESS_DRAIN_TIMEOUT_S = 30.0
ANNOUNCEMENT_BODY = (
    "The plenary session moves to the large hall. Please bring your badge; "
    "the registration desk opens at 8:30."
)


# -- the limited Bot API, as a subprocess ---------------------------------------------------


@contextlib.asynccontextmanager
async def limited_server(latency_ms: float, log_level: str = "WARNING") -> AsyncIterator[str]:
    """Start `python -m bench.limited_bot_api --port 0`; yield its base URL; stop it.

    Its log goes to this process's stderr; at DEBUG it names the chat of every 429.
    """
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.limited_bot_api",
        "--port",
        "0",
        "--latency-ms",
        str(latency_ms),
        "--log-level",
        log_level,
        cwd=str(ROOT),
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), SERVER_START_TIMEOUT_S)
        text = line.decode().strip()
        if not text.startswith("READY http://127.0.0.1:"):
            raise RuntimeError(f"limited Bot API did not start: {text!r}")
        yield text.split()[1]
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()


async def fetch_stats(url: str) -> dict[str, Any]:
    timeout = aiohttp.ClientTimeout(total=30)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.get(f"{url}/stats") as response,
    ):
        response.raise_for_status()
        return await response.json()  # type: ignore[no-any-return]


# -- the bot ----------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def running_bot(database_url: str, server_url: str) -> AsyncIterator[tuple[Any, list[Any]]]:
    """The production Application, initialized, migrated, worker running; yields (app, errors)."""
    settings = Settings.parse(
        {
            "TELEGRAM_BOT_TOKEN": BENCH_TOKEN,
            "CONVENE_DATABASE_URL": database_url,
            "CONVENE_TELEGRAM_API_URL": server_url,
        }
    )
    app = build_application(settings, start_worker=True)
    errors: list[BaseException] = []

    async def count_error(_update: object, context: CallbackContext) -> None:  # type: ignore[type-arg]
        if context.error is not None:
            errors.append(context.error)

    app.add_error_handler(count_error)
    await app.initialize()
    try:
        assert app.post_init is not None
        await app.post_init(app)
        try:
            yield app, errors
        finally:
            assert app.post_shutdown is not None
            await app.post_shutdown(app)
    finally:
        await app.shutdown()


async def wait_until_sent(app: Application, notice_id: int, limit_s: float) -> tuple[bool, Any]:  # type: ignore[type-arg]
    """Poll the notice's counts every POLL_SECONDS until nothing is pending, or time out."""
    services = app.bot_data.services
    deadline = time.monotonic() + limit_s
    counts = await services.notices.counts(notice_id)
    while not counts.finished and time.monotonic() < deadline:
        await asyncio.sleep(POLL_SECONDS)
        counts = await services.notices.counts(notice_id)
    return counts.finished, counts


def worker_stats(app: Application) -> dict[str, int]:  # type: ignore[type-arg]
    stats = app.bot_data.worker.stats
    return {
        "sent": stats.sent,
        "retried": stats.retried,
        "failed": stats.failed,
        "unreachable": stats.unreachable,
        "flood_waits": stats.flood_waits,
    }


def counts_dict(counts: Any) -> dict[str, int]:
    return {
        "pending": counts.pending,
        "sent": counts.sent,
        "failed": counts.failed,
        "unreachable": counts.unreachable,
    }


def rows_of(stats: dict[str, Any], methods: set[str], chats: set[int]) -> list[list[Any]]:
    """Accepted rows of `methods` to `chats`, as (time, method, chat_id)."""
    found = []
    for row in stats["accepted"]:
        t, method, chat_id = row[0], row[1], row[2]
        try:
            chat = int(chat_id)
        except (TypeError, ValueError):
            continue
        if method in methods and chat in chats:
            found.append([t, method, chat])
    return found


def rate_block(rows: list[list[Any]], chats: set[int], started: float) -> dict[str, Any]:
    """bench.stats.summarize, with the lost chats counted (and a sample kept) and the first
    and last accepted message in seconds after `started` (the announce call)."""
    summary = summarize(rows, chats, limit_per_second=LIMIT_PER_SECOND)
    lost = summary.pop("lost")
    summary["lost"] = len(lost)
    summary["lost_sample"] = lost[:10]
    times = [float(row[0]) for row in rows]
    summary["first_at_s"] = min(times) - started if times else None
    summary["last_at_s"] = max(times) - started if times else None
    return summary


# -- scenario: one announcement to everyone --------------------------------------------------


async def run_announcement(members: int, args: argparse.Namespace) -> dict[str, Any]:
    async with (
        fresh_database(args.database_url) as url,
        limited_server(args.latency_ms, args.server_log_level) as api,
    ):
        seeded = await seed_members(url, members)
        chats = set(seeded.telegram_user_ids)
        async with running_bot(url, api) as (app, errors):
            services = app.bot_data.services
            started = time.monotonic()
            notice_id, recipients = await services.notices.announce(
                AnnouncementSpec(body=ANNOUNCEMENT_BODY, audience=Audience(everyone=True)),
                created_by=None,
                progress_chat_id=None,
            )
            queued = time.monotonic()
            app.bot_data.worker.wake()
            finished, counts = await wait_until_sent(app, notice_id, members / 25 + 60)
            done = time.monotonic()
            worker = worker_stats(app)
        stats = await fetch_stats(api)
    messages = rows_of(stats, {"sendMessage"}, chats)
    summary = rate_block(messages, chats, started)
    first = summary["first_at_s"]
    return {
        "scenario": "announcement",
        "members": members,
        "recipients": recipients,
        "database": redact_url(url).split("?")[0] if args.database_url else "sqlite (temporary)",
        "latency_ms": args.latency_ms,
        "seed_s": seeded.seconds,
        "queue_s": queued - started,
        "first_message_after_s": first,
        "wall_s": done - started,
        "ideal_s": (members - 1) / LIMIT_PER_SECOND,
        "finished": finished,
        "delivery_counts": counts_dict(counts),
        "worker": worker,
        "handler_errors": len(errors),
        "sendMessage": summary,
        "rejected_429": stats["rejected_429"],
        "rejected_429_by_method": stats["rejected_429_by_method"],
        "rejected_400": stats["rejected_400"],
        "requests": stats["requests"],
    }


# -- scenario: a meeting invitation while members press RSVP ---------------------------------


async def _press(
    app: Application,  # type: ignore[type-arg]
    user_id: int,
    invitation_id: int,
    started: float,
    latencies: list[dict[str, Any]],
) -> None:
    update = Update.de_json(callback_update(user_id, f"rsvp:{invitation_id}:p"), app.bot)
    t0 = time.perf_counter()
    await app.process_update(update)
    latencies.append(
        {
            "user_id": user_id,
            "at_s": time.monotonic() - started,
            "latency_s": time.perf_counter() - t0,
        }
    )


async def press_while(
    app: Application,  # type: ignore[type-arg]
    invitation_of: dict[int, int],
    stop: asyncio.Event,
    deadline: float,
    started: float,
) -> tuple[list[dict[str, Any]], int]:
    """Two presses a second from random distinct members until `stop` or the deadline.

    Presses are started on a fixed schedule (t0 + k/2), not one after the other, so a slow
    press does not slow the presses down. Returns (timed presses, presses not finished).
    """
    order = random.Random(20260101).sample(sorted(invitation_of), len(invitation_of))
    latencies: list[dict[str, Any]] = []
    tasks: list[asyncio.Task[None]] = []
    t0 = time.monotonic()
    for k, user_id in enumerate(order):
        due = t0 + k * PRESS_INTERVAL_S
        if due > deadline:
            break
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), max(0.0, due - time.monotonic()))
        if stop.is_set():
            break
        tasks.append(
            asyncio.create_task(_press(app, user_id, invitation_of[user_id], started, latencies))
        )
    unfinished = 0
    if tasks:
        _done, pending = await asyncio.wait(tasks, timeout=PRESS_DRAIN_TIMEOUT_S)
        unfinished = len(pending)
        for task in pending:
            task.cancel()
    return latencies, unfinished


async def run_presses(members: int, args: argparse.Namespace) -> dict[str, Any]:
    async with (
        fresh_database(args.database_url) as url,
        limited_server(args.latency_ms, args.server_log_level) as api,
    ):
        seeded = await seed_members(url, members)
        chats = set(seeded.telegram_user_ids)
        async with running_bot(url, api) as (app, errors):
            services = app.bot_data.services
            started = time.monotonic()
            announced = await services.meetings.announce(
                meeting_spec(seeded.team_slug), created_by=None
            )
            assert announced.notice_id is not None
            queued = time.monotonic()
            invitation_of = await invitation_ids(services.db, announced.meeting.id)
            app.bot_data.worker.wake()
            timeout = 2 * members / 25 + 60
            stop = asyncio.Event()
            presser = asyncio.create_task(
                press_while(app, invitation_of, stop, started + timeout, started)
            )
            finished, counts = await wait_until_sent(app, announced.notice_id, timeout)
            done = time.monotonic()
            stop.set()
            latencies, unfinished = await presser
            worker = worker_stats(app)
            held = await answers(services.db, announced.meeting.id)
        stats = await fetch_stats(api)
    pressers = {p["user_id"] for p in latencies}
    messages = rows_of(stats, {"sendMessage"}, chats)
    documents = rows_of(stats, {"sendDocument"}, chats)
    edits = rows_of(stats, {"editMessageText"}, chats)
    everything = rows_of(stats, set(stats["requests"]), chats)
    values = [p["latency_s"] for p in latencies]
    latency = (
        {
            "presses": len(values),
            "p50_s": percentile(values, 50),
            "p95_s": percentile(values, 95),
            "max_s": max(values),
            "mean_s": sum(values) / len(values),
        }
        if values
        else {"presses": 0, "p50_s": None, "p95_s": None, "max_s": None, "mean_s": None}
    )
    latency["unfinished"] = unfinished
    return {
        "scenario": "presses",
        "members": members,
        "invited": announced.invited,
        "database": redact_url(url).split("?")[0] if args.database_url else "sqlite (temporary)",
        "latency_ms": args.latency_ms,
        "seed_s": seeded.seconds,
        "queue_s": queued - started,
        "wall_s": done - started,
        "ideal_s": (2 * members - 1) / LIMIT_PER_SECOND,
        "finished": finished,
        "delivery_counts": counts_dict(counts),
        "worker": worker,
        "handler_errors": len(errors),
        "error_samples": [repr(e) for e in errors[:3]],
        "press_latency": latency,
        "press_samples": sorted(latencies, key=lambda p: -p["latency_s"])[:5],
        "answers_in_db": {str(k): v for k, v in held.items()},
        "edits_accepted_for_pressers": sum(1 for r in edits if r[2] in pressers),
        "sendMessage": rate_block(messages, chats, started),
        "sendDocument": rate_block(documents, chats, started),
        "text_and_documents": rate_block(messages + documents, chats, started),
        "all_messages_incl_edits": rate_block(everything, chats, started),
        "rejected_429": stats["rejected_429"],
        "rejected_429_by_method": stats["rejected_429_by_method"],
        "rejected_400": stats["rejected_400"],
        "requests": stats["requests"],
    }


# -- output -------------------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def announcement_checks(result: dict[str, Any]) -> dict[str, bool]:
    summary = result["sendMessage"]
    return {
        "finished": bool(result["finished"]),
        "share_ge_93pct": (summary["share_of_limit"] or 0) >= TARGET_SHARE,
        "zero_429": result["rejected_429"] == 0,
        "zero_400": not result.get("rejected_400"),
        "zero_lost": summary["lost"] == 0,
        "zero_duplicates": summary["duplicates"] == 0,
    }


def presses_checks(result: dict[str, Any]) -> dict[str, bool]:
    checks = announcement_checks(result)
    # The 30/s is shared: the presses' edits use part of it, so the share counts them too.
    checks["share_ge_93pct"] = (result["all_messages_incl_edits"]["share_of_limit"] or 0) >= (
        TARGET_SHARE
    )
    checks["zero_lost_documents"] = result["sendDocument"]["lost"] == 0
    checks["zero_duplicate_documents"] = result["sendDocument"]["duplicates"] == 0
    latency = result["press_latency"]
    checks["press_p95_lt_1s"] = latency["p95_s"] is not None and latency["p95_s"] < 1.0
    checks["presses_all_saved"] = (
        latency["unfinished"] == 0
        and result["handler_errors"] == 0
        and result["answers_in_db"].get("in_person", 0) == latency["presses"]
    )
    return checks


def announcement_table(results: list[dict[str, Any]]) -> str:
    rows = []
    for r in results:
        s = r["sendMessage"]
        rows.append(
            [
                r["members"],
                s["messages"],
                s["rate_per_s"],
                _pct(s["share_of_limit"]),
                s["max_in_any_1s_window"],
                r["rejected_429"],
                s["lost"],
                s["duplicates"],
                r["wall_s"],
                r["ideal_s"],
            ]
        )
    headers = [
        "members",
        "sent",
        "msg/s",
        "of 30/s",
        "peak 1s",
        "429s",
        "lost",
        "dups",
        "wall s",
        "ideal s",
    ]
    return "Announcement to everyone (sendMessage)\n" + table(headers, rows)


def presses_table(results: list[dict[str, Any]]) -> str:
    rate_rows = []
    press_rows = []
    for r in results:
        for label, key in (
            ("sendMessage (card)", "sendMessage"),
            ("sendDocument (.ics)", "sendDocument"),
            ("card + .ics", "text_and_documents"),
            ("all incl. edits", "all_messages_incl_edits"),
        ):
            s = r[key]
            single = key in ("sendMessage", "sendDocument")
            # A rate of one kind alone means little: cards go first, the .ics files after.
            rate_rows.append(
                [
                    r["members"],
                    label,
                    s["messages"],
                    s["first_at_s"],
                    s["last_at_s"],
                    "" if single else s["rate_per_s"],
                    "" if single else _pct(s["share_of_limit"]),
                    s["max_in_any_1s_window"],
                    s["lost"] if single else "",
                    s["duplicates"] if single else "",
                ]
            )
        lat = r["press_latency"]
        press_rows.append(
            [
                r["members"],
                lat["presses"],
                lat["p50_s"],
                lat["p95_s"],
                lat["max_s"],
                r["answers_in_db"].get("in_person", 0),
                r["edits_accepted_for_pressers"],
                r["rejected_429"],
                r["wall_s"],
                r["ideal_s"],
            ]
        )
    rates = table(
        [
            "members",
            "messages",
            "count",
            "first s",
            "last s",
            "msg/s",
            "of 30/s",
            "peak 1s",
            "lost",
            "dups",
        ],
        rate_rows,
    )
    presses = table(
        [
            "members",
            "presses",
            "p50 s",
            "p95 s",
            "max s",
            "saved",
            "edits ok",
            "429s",
            "wall s",
            "ideal s",
        ],
        press_rows,
    )
    return (
        "Meeting invitation (card + .ics per member) with 2 RSVP presses/s\n"
        + rates
        + "\n\n"
        + presses
    )


def checks_line(name: str, checks: dict[str, bool]) -> str:
    return f"{name}: " + ", ".join(f"{k} {verdict(v)}" for k, v in checks.items())


# -- main ------------------------------------------------------------------------------------


async def main_async(args: argparse.Namespace) -> int:
    default_run = args.members is None and not args.presses
    announcement_sizes = [] if args.presses else (args.members or [1000, 10000])
    press_sizes = (args.members or [1000]) if args.presses else ([1000] if default_run else [])
    failed = False
    announcement_results = []
    for members in announcement_sizes:
        print(f"announcement to {members} members ...", flush=True)
        result = await run_announcement(members, args)
        result["checks"] = announcement_checks(result)
        result["environment"] = environment()
        path = write_results(f"broadcast_announcement_{members}", result)
        print(f"  written {path.relative_to(ROOT)}", flush=True)
        announcement_results.append(result)
        failed |= not all(result["checks"].values())
    press_results = []
    for members in press_sizes:
        print(f"meeting invitation to {members} members with presses ...", flush=True)
        result = await run_presses(members, args)
        result["checks"] = presses_checks(result)
        result["environment"] = environment()
        path = write_results(f"broadcast_presses_{members}", result)
        print(f"  written {path.relative_to(ROOT)}", flush=True)
        press_results.append(result)
        failed |= not all(result["checks"].values())
    print()
    if announcement_results:
        print(announcement_table(announcement_results))
        for r in announcement_results:
            print(checks_line(f"N={r['members']}", r["checks"]))
        extra = [
            f"N={r['members']}: queue {r['queue_s']:.2f} s, first message after "
            f"{r['first_message_after_s'] or 0:.2f} s, worker {r['worker']}, "
            f"deliveries {r['delivery_counts']}"
            for r in announcement_results
        ]
        print("\n".join(extra))
        print()
    if press_results:
        print(presses_table(press_results))
        for r in press_results:
            print(checks_line(f"N={r['members']}", r["checks"]))
            print(
                f"N={r['members']}: 429 by method {r['rejected_429_by_method']}, "
                f"worker {r['worker']}, deliveries {r['delivery_counts']}, "
                f"handler errors {r['handler_errors']}"
            )
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.broadcast",
        description="Broadcast throughput of the real bot against a flood-limited fake Bot API.",
    )
    parser.add_argument(
        "--members",
        type=int,
        nargs="+",
        default=None,
        help="sizes to run (default: 1000 10000 for the announcement, 1000 for presses)",
    )
    parser.add_argument(
        "--presses",
        action="store_true",
        help="run only the meeting-invitation scenario with RSVP presses",
    )
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="server round trip")
    parser.add_argument("--log-level", default="WARNING")
    parser.add_argument(
        "--server-log-level", default="WARNING", help="DEBUG names the chat of every 429"
    )
    args = parser.parse_args(argv)
    if args.members and any(n < 1 or n > 100_000 for n in args.members):
        parser.error("--members must be between 1 and 100000")
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    sys.exit(asyncio.run(main_async(args)))


if __name__ == "__main__":
    main()
