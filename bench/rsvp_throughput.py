"""How many RSVP presses a second the bot handles, against a bare PTB echo bot.

Why: a press runs the whole pipeline (de-duplication row, account and locale, the
invitation checks, the answer written, the card redrawn). This measures what that costs
in one process, with the Bot API faked in process (tests/auxil/fake_bot_api.py) so no
network time is counted, on a throw-away SQLite database with 200 members and one
meeting. Every press changes the answer (the answers alternate "in person" and "not
attending"), so every press writes.

The baseline is a bare Application with the same fake Bot API and an echo: a press is
answered and the message edited to what was pressed (the same two Bot API calls an RSVP
press makes), a text is replied to with itself: the cost of PTB itself. Target: the bot
reaches at least 40% of the baseline's rate.

Each press of the bot also edits a message, which its rate limiter (bot/ratelimit.py)
counts against Telegram's 30 messages a second; so a sequential run of the shipped
application cannot go faster than about 30 presses a second however cheap a press is.
The run is therefore made twice: "as shipped", and with the limiter's overall ceiling
lifted (only the instance in this process; nothing else changes) to show the cost of the
handler itself.

Run: .venv/bin/python -m bench.rsvp_throughput [--updates 2000] [--members 200]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
from typing import Any

from sqlalchemy import event
from telegram import Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackContext,
    CallbackQueryHandler,
    MessageHandler,
    filters,
)

from bench.common import (
    answers,
    callback_update,
    environment,
    invitation_ids,
    meeting_spec,
    offline_settings,
    table,
    verdict,
    write_results,
)
from bench.seed import fresh_database, seed_members
from bot.app import build_application
from tests.auxil.fake_bot_api import TOKEN, FakeBotApi, RecordingRequest

TARGET_RATIO = 0.40
WARMUP = 100
MAX_SECONDS = 600.0  # a run that takes longer than this is stopped and reported as such


def _press_plan(user_ids: list[int], invitation_of: dict[int, int], total: int) -> list[str]:
    """Callback data for `total` presses: member j % M, answer alternating per round."""
    plan = []
    for j in range(total):
        user_id = user_ids[j % len(user_ids)]
        code = "p" if (j // len(user_ids)) % 2 == 0 else "n"
        plan.append(f"rsvp:{invitation_of[user_id]}:{code}")
    return plan


async def _feed(
    app: Application,  # type: ignore[type-arg]
    user_ids: list[int],
    plan: list[str],
    warmup: int,
) -> tuple[int, float, bool]:
    """Process the plan sequentially; return (timed updates, seconds, finished in time)."""
    started = None
    deadline = time.monotonic() + MAX_SECONDS
    for j, data in enumerate(plan):
        if j == warmup:
            started = time.perf_counter()
        if time.monotonic() > deadline:
            return j - warmup, time.perf_counter() - (started or time.perf_counter()), False
        user_id = user_ids[j % len(user_ids)]
        update = Update.de_json(callback_update(user_id, data), app.bot)
        await app.process_update(update)
    assert started is not None
    return len(plan) - warmup, time.perf_counter() - started, True


async def run_convene(
    members: int, updates: int, *, lift_limiter: bool, database_url: str | None = None
) -> dict[str, Any]:
    async with fresh_database(database_url) as url:
        seeded = await seed_members(url, members)
        settings = offline_settings(url)
        api = FakeBotApi()
        request = RecordingRequest(api)
        app = build_application(
            settings, request=request, updates_request=request, start_worker=False
        )
        errors: list[BaseException] = []

        async def count_error(_update: object, context: CallbackContext) -> None:  # type: ignore[type-arg]
            if context.error is not None:
                errors.append(context.error)

        app.add_error_handler(count_error)
        await app.initialize()
        assert app.post_init is not None
        await app.post_init(app)
        try:
            services = app.bot_data.services
            if lift_limiter:
                # Only this process's instance: the handler's own cost, not Telegram's limit.
                app.bot_data.limiter.overall_base = 10**9
            announced = await services.meetings.announce(
                meeting_spec(seeded.team_slug), created_by=None
            )
            invitation_of = await invitation_ids(services.db, announced.meeting.id)
            plan = _press_plan(seeded.telegram_user_ids, invitation_of, WARMUP + updates)
            statements = [0]

            def count_statement(*_args: Any) -> None:
                statements[0] += 1

            engine = services.db.engine.sync_engine
            event.listen(engine, "before_cursor_execute", count_statement)
            before = len(api.calls)
            timed, seconds, finished = await _feed(app, seeded.telegram_user_ids, plan, WARMUP)
            event.remove(engine, "before_cursor_execute", count_statement)
            calls = api.calls[before:]
            held = await answers(services.db, announced.meeting.id)
        finally:
            assert app.post_shutdown is not None
            await app.post_shutdown(app)
            await app.shutdown()
    alerts = sum(
        1 for c in calls if c.method == "answerCallbackQuery" and c.params.get("show_alert")
    )
    return {
        "members": members,
        "updates": timed,
        "seconds": seconds,
        "updates_per_s": timed / seconds if seconds > 0 else None,
        "finished": finished,
        "errors": len(errors),
        "error_samples": [repr(e) for e in errors[:3]],
        "bot_api_calls": {
            "answerCallbackQuery": sum(1 for c in calls if c.method == "answerCallbackQuery"),
            "alerts": alerts,
            "editMessageText": sum(1 for c in calls if c.method == "editMessageText"),
            "other": sum(
                1 for c in calls if c.method not in ("answerCallbackQuery", "editMessageText")
            ),
        },
        "answers_in_db": {str(k): v for k, v in held.items()},
        "limiter_lifted": lift_limiter,
        # Statements per press (BEGIN IMMEDIATE counted, COMMIT not), warm-up included.
        "sql_statements_per_update": statements[0] / (WARMUP + updates),
    }


async def run_bare(members: int, updates: int) -> dict[str, Any]:
    api = FakeBotApi()
    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .request(RecordingRequest(api))
        .get_updates_request(RecordingRequest(api))
        .build()
    )

    async def on_press(update: Update, _context: CallbackContext) -> None:  # type: ignore[type-arg]
        # An echo of a press: answer it and write back what was pressed, the same two Bot
        # API calls an RSVP press makes, with no database and no rendering.
        query = update.callback_query
        assert query is not None
        await query.answer()
        await query.edit_message_text(query.data or "")

    async def echo(update: Update, _context: CallbackContext) -> None:  # type: ignore[type-arg]
        assert update.effective_message is not None
        await update.effective_message.reply_text(update.effective_message.text or "")

    app.add_handler(CallbackQueryHandler(on_press))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    await app.initialize()
    try:
        user_ids = [10_000_000 + i for i in range(members)]
        # The same shape of callback data as the bot's presses (invitation ids 1..M).
        invitation_of = {user_id: i + 1 for i, user_id in enumerate(user_ids)}
        plan = _press_plan(user_ids, invitation_of, WARMUP + updates)
        before = len(api.calls)
        timed, seconds, finished = await _feed(app, user_ids, plan, WARMUP)
        answered = sum(1 for c in api.calls[before:] if c.method == "answerCallbackQuery")
    finally:
        await app.shutdown()
    return {
        "updates": timed,
        "seconds": seconds,
        "updates_per_s": timed / seconds if seconds > 0 else None,
        "finished": finished,
        "answerCallbackQuery": answered,
    }


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    shipped = await run_convene(
        args.members, args.updates, lift_limiter=False, database_url=args.database_url
    )
    lifted = await run_convene(
        args.members, args.updates, lift_limiter=True, database_url=args.database_url
    )
    bare = await run_bare(args.members, args.updates)
    base = bare["updates_per_s"] or 0.0

    def ratio(result: dict[str, Any]) -> float | None:
        rate = result["updates_per_s"]
        return rate / base if rate and base else None

    shipped["ratio_to_bare"] = ratio(shipped)
    lifted["ratio_to_bare"] = ratio(lifted)
    expected_writes = args.updates + WARMUP
    checks = {
        "shipped_no_errors": shipped["errors"] == 0 and shipped["finished"],
        "lifted_no_errors": lifted["errors"] == 0 and lifted["finished"],
        "every_press_saved": all(
            r["bot_api_calls"]["answerCallbackQuery"] == expected_writes
            and r["bot_api_calls"]["alerts"] == 0
            and r["bot_api_calls"]["editMessageText"] == expected_writes
            for r in (shipped, lifted)
        ),
        "shipped_ratio_ge_40pct": (shipped["ratio_to_bare"] or 0) >= TARGET_RATIO,
        "handler_ratio_ge_40pct": (lifted["ratio_to_bare"] or 0) >= TARGET_RATIO,
    }
    return {
        "benchmark": "rsvp_throughput",
        "environment": environment(),
        "parameters": {
            "members": args.members,
            "updates": args.updates,
            "warmup": WARMUP,
            "database": "postgresql" if args.database_url else "sqlite",
        },
        "convene_shipped": shipped,
        "convene_limiter_lifted": lifted,
        "bare_echo": bare,
        "target_ratio": TARGET_RATIO,
        "checks": checks,
    }


def report(results: dict[str, Any]) -> str:
    rows = []
    for label, key in (
        ("Convene (as shipped)", "convene_shipped"),
        ("Convene (limiter lifted)", "convene_limiter_lifted"),
        ("bare PTB echo (answer + edit)", "bare_echo"),
    ):
        r = results[key]
        rate = r["updates_per_s"]
        rows.append(
            [
                label,
                r["updates"],
                r["seconds"],
                rate,
                1000 / rate if rate else None,
                _pct(r.get("ratio_to_bare", 1.0)),
                r.get("sql_statements_per_update", 0.0),
                r.get("errors", 0),
            ]
        )
    headers = ["application", "updates", "seconds", "updates/s", "ms/update", "of bare"]
    lines = [
        "RSVP throughput (sequential process_update, in-process fake Bot API, "
        f"{results['parameters'].get('database', 'sqlite')}, "
        f"{results['parameters']['members']} members)",
        table([*headers, "SQL/update", "errors"], rows),
        "",
        "checks: " + ", ".join(f"{name} {verdict(ok)}" for name, ok in results["checks"].items()),
    ]
    return "\n".join(lines)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.rsvp_throughput")
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument(
        "--database-url",
        help="postgresql+asyncpg://… (a schema is made and dropped); default SQLite",
    )
    args = parser.parse_args(argv)
    if args.updates < 1 or args.members < 2:
        parser.error("need at least 1 update and 2 members")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    results = asyncio.run(main_async(args))
    print(report(results))
    name = "rsvp_throughput_postgresql" if args.database_url else "rsvp_throughput"
    print(f"\nresults: {write_results(name, results)}")


if __name__ == "__main__":
    main()
