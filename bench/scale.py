"""Cost as the audience grows (issue 13): seed 1,000 / 10,000 / 100,000 members and measure
each operation whose cost could grow with them.

For each size, a fresh database with that many active members in one team, and the domain
services built as the bot builds them (no Telegram: what is measured is Convene's own work):

- queue a meeting invitation to the whole team (invitations, deliveries, reminders planned);
- one RSVP press (`Rsvp.answer`, which re-plans that member's reminders), the median of
  `--presses` presses by members spread over the roster; the whole press path through
  python-telegram-bot is `bench.rsvp_throughput`;
- `/status` of the meeting: the report and its text, with the number of messages it takes;
- `/export` of the meeting: the report and its CSV and XLSX files;
- `/proof` of the invitation notice: the report and its files;
- a request to every country (its delegates are notified), and the request's status, in
  which each country's count of members who may answer is the audience;
- the reports (`/status`, `/export`, `/proof`, the request's status) are run `--repeat`
  times and the median counts: this machine's speed varies by a third from one moment to
  the next;
- the command-menu refresh after an upgrade (each member's menu set again; the Bot API
  calls are counted and answered at once);
- start-up: the bot started as its own process (`python -m bot run`) against the HTTP
  fake of the Bot API, right after an upgrade (the menu refresh pending), until it has
  answered a member's `/help`: how soon the bot answers whatever the roster;
- presses during a report: members keep pressing (one press every 10 ms, each changing
  its answer) while `/status`, then `/export` with its files, run beside them, one report
  after another for at least REPORTING seconds; the presses' latency (median, p95, max) is
  what a member waits behind a secretariat's report.

Each operation's wall time and SQL statements (on the writer's and the readers'
connections) are reported, and its own memory: the kernel's high-water mark of the
process's resident memory is reset before each operation (Linux: /proc/self/clear_refs),
so `peak_mib` is the process's peak during that operation alone and `grew_mib` how far it
rose above what the process held before it.

Run: .venv/bin/python -m bench.scale [--sizes 1000,10000,100000] [--presses 50]
                                     [--database-url postgresql+asyncpg://…] [--no-menus] [--repeat 3]
Results: bench/results/scale[_postgresql].json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bench.common import (
    environment,
    meeting_spec,
    message_update,
    offline_settings,
    request_spec,
    table,
    write_results,
)
from bench.seed import COUNTRIES, fresh_database, seed_members
from bot.domain.clock import SystemClock
from bot.domain.exports import ExportKind
from bot.domain.models import Answer
from bot.i18n import I18n
from bot.services import Services
from handlers.common import split_message
from handlers.menus import refresh_member_menus
from handlers.reports import NAMES_SHOWN, status_text
from storage.db import Database
from tests.auxil.fake_bot_api import FakeBotApi, serve
from tests.auxil.process import bot_process, until

SIZES = (1_000, 10_000, 100_000)


def _status_mib(field: str) -> float:
    """A field of /proc/self/status (VmRSS, VmHWM), in MiB (Linux reports kB)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


class Memory:
    """The process's peak resident memory during one operation: the high-water mark is
    reset before it (writing 5 to clear_refs, Linux 4.0+), read after it."""

    def __enter__(self) -> Memory:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
        self.before = _status_mib("VmRSS")
        return self

    def __exit__(self, *_exc: object) -> None:
        self.peak = _status_mib("VmHWM")

    def figures(self) -> dict[str, float]:
        return {"peak_mib": self.peak, "grew_mib": max(0.0, self.peak - self.before)}


class Counter:
    """SQL statements on every engine of the database (writer and readers)."""

    def __init__(self, db: Database) -> None:
        self.engines = {db.engine.sync_engine, db.reader.sync_engine}
        self.count = 0

    def _seen(self, *_args: Any) -> None:
        self.count += 1

    def __enter__(self) -> Counter:
        for engine in self.engines:
            event.listen(engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_exc: object) -> None:
        for engine in self.engines:
            event.remove(engine, "before_cursor_execute", self._seen)


class MenuBot:
    """Answers set_my_commands at once, counting the calls."""

    def __init__(self) -> None:
        self.calls = 0

    async def set_my_commands(self, *_args: Any, **_kwargs: Any) -> bool:
        self.calls += 1
        return True


@contextlib.asynccontextmanager
async def measured(
    results: dict[str, dict[str, Any]], name: str, db: Database
) -> AsyncIterator[dict[str, Any]]:
    extra: dict[str, Any] = {}
    with Counter(db) as counter, Memory() as memory:
        started = time.perf_counter()
        yield extra
        seconds = time.perf_counter() - started
    results[name] = {"seconds": seconds, "sql": counter.count, **memory.figures(), **extra}


async def repeated(
    results: dict[str, dict[str, Any]],
    name: str,
    db: Database,
    operation: Callable[[], Awaitable[dict[str, Any]]],
    repeat: int,
) -> None:
    """`operation` run `repeat` times: the median time (this machine's speed varies by a
    third from one second to the next), statements per run, the peak over all runs."""
    times = []
    with Counter(db) as counter, Memory() as memory:
        for _ in range(repeat):
            started = time.perf_counter()
            extra = await operation()
            times.append(time.perf_counter() - started)
    results[name] = {
        "seconds": statistics.median(times),
        "runs_seconds": times,
        "sql": counter.count // repeat,
        **memory.figures(),
        **extra,
    }


async def measure(
    size: int, presses: int, database_url: str | None, *, menus: bool = True, repeat: int = 3
) -> dict[str, Any]:
    results: dict[str, dict[str, Any]] = {}
    async with fresh_database(database_url) as url:
        seeded = await seed_members(url, size)
        settings = offline_settings(url)
        db = Database(url)
        services = Services.build(settings, db, SystemClock(), I18n(settings.default_locale))
        t = services.i18n.translator("en")
        try:
            async with measured(results, "queue invitation", db):
                announced = await services.meetings.announce(
                    meeting_spec(seeded.team_slug), created_by=None
                )
            meeting_id, notice_id = announced.meeting.id, announced.notice_id
            assert notice_id is not None
            async with db.read() as tx:
                invitations = {
                    i.member_id: i.id for i in await tx.invitations.of_meeting(meeting_id)
                }
            step = max(1, size // presses)
            pressing = seeded.member_ids[::step][:presses]
            users = dict(zip(seeded.member_ids, seeded.telegram_user_ids, strict=True))
            times = []
            with Counter(db) as counter, Memory() as memory:
                for member_id in pressing:
                    started = time.perf_counter()
                    result = await services.rsvp.answer(
                        invitations[member_id], users[member_id], Answer.IN_PERSON
                    )
                    times.append(time.perf_counter() - started)
                    assert result.ok, result.outcome
            results["one RSVP press (median)"] = {
                "seconds": statistics.median(times),
                "sql": round(counter.count / len(pressing), 1),
                **memory.figures(),
                "presses": len(pressing),
                "p95_seconds": sorted(times)[int(len(times) * 0.95) - 1],
            }

            async def status() -> dict[str, Any]:
                found = await services.reports.status(meeting_id, names=NAMES_SHOWN)
                assert found is not None
                messages = split_message(status_text(t, found, "Europe/Belgrade"))
                return {"messages": len(messages)}

            async def export() -> dict[str, Any]:
                made = await services.exports.export(ExportKind.MEETING, meeting_id)
                assert made is not None
                return {"bytes": sum(len(f) for f in await made.files())}

            async def proof() -> dict[str, Any]:
                found = await services.exports.proof(notice_id, "Europe/Belgrade")
                assert found is not None
                return {"bytes": sum(len(f) for f in await found[0].files())}

            await repeated(results, "/status", db, status, repeat)
            await repeated(results, "/export (CSV + XLSX)", db, export, repeat)
            for name, report in (
                ("presses during /status", lambda: _status(services, meeting_id, t)),
                ("presses during /export", lambda: _export(services, meeting_id)),
            ):
                async with measured(results, name, db) as extra:
                    extra.update(
                        await presses_during(
                            report, services, [invitations[m] for m in pressing], users, pressing
                        )
                    )
            await repeated(results, "/proof", db, proof, repeat)
            async with measured(results, "queue a request to every country", db):
                request_id, _, _ = await services.requests.create(
                    request_spec(COUNTRIES), created_by=None
                )

            async def request_status() -> dict[str, Any]:
                found = await services.requests.report(request_id)
                assert found is not None
                return {"parties": len(found.responses)}

            await repeated(results, "request status", db, request_status, repeat)
            await services.roster.set_meta("menu_version", "0")  # as an upgrade leaves it
            results["start-up until a /help is answered"] = await start_up(
                url, seeded.telegram_user_ids[0]
            )
            if menus:
                bot = MenuBot()
                async with measured(results, "menu refresh after an upgrade", db) as extra:
                    await refresh_member_menus(bot, services)  # type: ignore[arg-type]
                    extra["calls"] = bot.calls
        finally:
            await db.close()
    return {"members": size, "seed_seconds": seeded.seconds, "operations": results}


async def start_up(database_url: str, user_id: int) -> dict[str, Any]:
    """Seconds from starting `python -m bot run` until a member's /help is answered."""
    api = FakeBotApi()
    runner, api_url = await serve(api)
    try:
        with tempfile.TemporaryDirectory() as cwd:
            started = time.perf_counter()
            async with bot_process(api_url, database_url, Path(cwd)):
                api.push_update(message_update(user_id, "/help"))
                await until(lambda: bool(api.sent(user_id)), "the answer to /help")
                seconds = time.perf_counter() - started
    finally:
        await runner.cleanup()
    # Another process: its statements and memory are not this one's to count.
    return {"seconds": seconds}


async def _status(services: Services, meeting_id: int, t: Any) -> None:
    status = await services.reports.status(meeting_id, names=NAMES_SHOWN)
    assert status is not None
    split_message(status_text(t, status, "Europe/Belgrade"))


async def _export(services: Services, meeting_id: int) -> None:
    made = await services.exports.export(ExportKind.MEETING, meeting_id)
    assert made is not None
    await made.files()  # as the handler does: off the event loop


PRESS_EVERY = 0.010  # seconds between one member's press and the next member's
REPORTING = 3.0  # seconds of reports run back to back (at least one report)


async def presses_during(
    report: Callable[[], Awaitable[None]],
    services: Services,
    invitation_ids: list[int],
    users: dict[int, int],
    member_ids: list[int],
) -> dict[str, Any]:
    """Presses while `report` runs again and again: their latencies, and the reports'."""
    latencies: list[float] = []
    done = asyncio.Event()

    async def press() -> None:
        i = 0
        while not done.is_set():
            k = i % len(member_ids)
            answer = Answer.NOT_ATTENDING if (i // len(member_ids)) % 2 == 0 else Answer.IN_PERSON
            started = time.perf_counter()
            result = await services.rsvp.answer(invitation_ids[k], users[member_ids[k]], answer)
            latencies.append(time.perf_counter() - started)
            assert result.ok, result.outcome
            i += 1
            await asyncio.sleep(PRESS_EVERY)

    pressing = asyncio.create_task(press())
    reports: list[float] = []
    until = time.perf_counter() + REPORTING
    while not reports or time.perf_counter() < until:
        started = time.perf_counter()
        await report()
        reports.append(time.perf_counter() - started)
    done.set()
    await pressing
    ordered = sorted(latencies)
    return {
        "reports": len(reports),
        "report_median_s": statistics.median(reports),
        "presses": len(ordered),
        "press_median_s": statistics.median(ordered),
        "press_p95_s": ordered[max(0, int(len(ordered) * 0.95) - 1)],
        "press_max_s": ordered[-1],
    }


def render(runs: list[dict[str, Any]]) -> str:
    names = list(runs[0]["operations"])
    rows = []
    for name in names:
        row: list[Any] = [name]
        for run in runs:
            op = run["operations"][name]
            more = f", {op['messages']} msg" if "messages" in op else ""
            if "press_p95_s" in op:
                row.append(
                    f"{op['reports']} reports, {op['presses']} presses: median {op['press_median_s'] * 1000:.0f} ms, "
                    f"p95 {op['press_p95_s'] * 1000:.0f} ms, max {op['press_max_s'] * 1000:.0f} ms"
                )
                continue
            if "sql" not in op:
                row.append(f"{op['seconds']:.2f} s")
                continue
            row.append(
                f"{op['seconds']:.3f} s, {op['sql']} SQL{more}, peak {op['peak_mib']:.0f} MiB"
            )
        rows.append(row)
    return table(["operation", *[f"{r['members']:,} members" for r in runs]], rows)


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    runs = []
    for size in args.sizes:
        print(f"{size:,} members …", flush=True)
        runs.append(
            await measure(
                size, args.presses, args.database_url, menus=not args.no_menus, repeat=args.repeat
            )
        )
    return {
        "environment": environment(),
        "parameters": {"sizes": args.sizes, "presses": args.presses, "repeat": args.repeat},
        "backend": "postgresql" if args.database_url else "sqlite",
        "runs": runs,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench.scale", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sizes", type=lambda s: [int(x) for x in s.split(",")], default=list(SIZES)
    )
    parser.add_argument("--presses", type=int, default=50)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of /status, /export and /proof (median)"
    )
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--no-menus", action="store_true", help="leave out the menu refresh (the longest)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    results = asyncio.run(main_async(args))
    print(render(results["runs"]))
    name = "scale_postgresql" if args.database_url else "scale"
    print(f"results: {write_results(name, results)}")


if __name__ == "__main__":
    main(sys.argv[1:])
