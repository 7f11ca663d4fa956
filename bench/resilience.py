"""Resilience benchmark: the real bot process against a Bot API that fails as networks fail.

Why: a broadcast must reach every member even when Telegram is unreachable or answers
5xx for minutes, one person flooding the bot must not make everyone else wait, and several
bot processes on one database must stay inside Telegram's 30 messages a second together.
None of that can be seen in-process: here the bot is `python -m bot run`, started as an
operator starts it (settings from the environment), against the flood-limited fake Bot API
(bench/limited_bot_api.py) run as another process with its fault controls on a second
port.

Scenarios (`--scenario a|b|c|d|all`):
- a: the Bot API unreachable (connection refused) for --outage-seconds in the middle of an
  announcement to --members members (long polling, like a default deployment);
- b: the same with every Bot API call answered 502 Bad Gateway;
  checks for both: nobody lost, duplicates at most --allowed-duplicates (the sends in
  flight at a cut), every delivery row `sent`;
- c: webhook mode; one member posts --flood-updates updates to the webhook as fast as
  possible while 40 others each send /help (--others-interval apart); check: the 40 get their reply with p95 under
  0.5 s (from posting the update to the fake accepting the reply);
- d: two webhook processes on one PostgreSQL database (--pg-url, a schema of its own,
  dropped afterwards), an announcement to --members members while 60 members send /help,
  30 to each process; checks: no 429 at all, every one of the 60 answered.

Run:
    .venv/bin/python -m bench.resilience                                      # all, full size
    .venv/bin/python -m bench.resilience --outage-seconds 20 --members 200    # quick
    .venv/bin/python -m bench.resilience --scenario c
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import sqlalchemy as sa

from bench.common import BENCH_TOKEN, environment, message_update, table, verdict, write_results
from bench.seed import fresh_database, seed_members
from bench.stats import percentile, summarize
from bot.config import redact_url
from bot.domain.clock import SystemClock
from bot.domain.models import Audience
from bot.domain.notices import AnnouncementSpec, Notices
from bot.i18n import SUPPORTED_LOCALES, I18n
from handlers.menus import MENU_VERSION
from storage.db import Database
from storage.schema import deliveries

logger = logging.getLogger("bench.resilience")

ROOT = Path(__file__).resolve().parent.parent
LIMIT_PER_SECOND = 30
ADMIN_ID = 9_000_001  # CONVENE_ADMINS: not one of the seeded members
WEBHOOK_SECRET = "bench-webhook-secret"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 20.0
POLL_S = 0.5
MISSING = 1e9  # the latency of a reply that never came, for the percentiles
SAMPLE_S = 5.0  # the delivery states during and after an outage, for the JSON
TARGET_P95_S = 0.5
FLOOD_UPDATE_IDS = 8_000_000  # far from bench.common's counter
OTHERS = 40  # scenario c: members sending /help beside the flooder
HELPERS = 60  # scenario d: members sending /help during the broadcast, half to each process
ANNOUNCEMENT_BODY = (
    "The plenary session moves to the large hall. Please bring your badge; "
    "the registration desk opens at 8:30."
)
HELP_INTRO = (
    "Convene keeps the members of expert teams and conferences informed: meeting "
    "notices, requests and deadlines, each in your own language."
)
APOLOGY = "Sorry, something went wrong on our side. Please try again in a moment."
# "2026-12-04 17:09:33,123 ERROR name: message", the format of `convene run`.
ERROR_LINE = re.compile(r"^\S+ \S+ ERROR ", re.MULTILINE)
WARNING_LINE = re.compile(r"^\S+ \S+ WARNING ", re.MULTILINE)


# -- the fake Bot API, with its control port --------------------------------------------------


@dataclass
class FakeApi:
    url: str  # the Bot API: point the bot at it
    control: str  # /fault, /stats, /reset; answers while the Bot API refuses
    session: aiohttp.ClientSession

    async def stats(self, texts: bool = False) -> dict[str, Any]:
        suffix = "?texts=1" if texts else ""
        async with self.session.get(f"{self.control}/stats{suffix}") as response:
            response.raise_for_status()
            return await response.json()  # type: ignore[no-any-return]

    async def fault(self, mode: str) -> None:
        async with self.session.post(f"{self.control}/fault", json={"mode": mode}) as response:
            response.raise_for_status()


@contextlib.asynccontextmanager
async def fake_api(latency_ms: float) -> AsyncIterator[FakeApi]:
    """`python -m bench.limited_bot_api --port 0 --control-port 0`, stopped afterwards."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.limited_bot_api",
        "--port",
        "0",
        "--control-port",
        "0",
        "--latency-ms",
        str(latency_ms),
        cwd=str(ROOT),
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        lines = []
        for _ in range(2):
            line = await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT_S)
            lines.append(line.decode().strip())
        if not lines[0].startswith("READY ") or not lines[1].startswith("CONTROL "):
            raise RuntimeError(f"limited Bot API did not start: {lines!r}")
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            yield FakeApi(lines[0].split()[1], lines[1].split()[1], session)
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()


# -- the bot, as a process ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class BotProcess:
    """`python -m bot run` with the settings in its environment and its log in a file."""

    name: str
    database_url: str
    api_url: str
    webhook_port: int | None = None
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="convene-bot-")))
    process: asyncio.subprocess.Process | None = None
    started_at: float = 0.0
    exit_code: int | None = None

    @property
    def log_path(self) -> Path:
        return self.folder / "stderr.log"

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.webhook_port}/hook"

    def environment(self) -> dict[str, str]:
        # Nothing of the caller's Convene settings leaks in; the working directory is a
        # temporary folder, so no .env is read either.
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("CONVENE_", "TELEGRAM_", "PTB_"))
        }
        env.update(
            {
                "PYTHONPATH": str(ROOT),
                "TELEGRAM_BOT_TOKEN": BENCH_TOKEN,
                "CONVENE_TELEGRAM_API_URL": self.api_url,
                "CONVENE_DATABASE_URL": self.database_url,
                "CONVENE_ADMINS": str(ADMIN_ID),
            }
        )
        if self.webhook_port is not None:
            env.update(
                {
                    "CONVENE_WEBHOOK_URL": self.webhook_url,
                    "CONVENE_WEBHOOK_SECRET": WEBHOOK_SECRET,
                    "CONVENE_WEBHOOK_LISTEN": "127.0.0.1",
                    "CONVENE_WEBHOOK_PORT": str(self.webhook_port),
                }
            )
        return env

    async def start(self) -> None:
        self.started_at = time.monotonic()
        with self.log_path.open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                cwd=str(self.folder),
                env=self.environment(),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )

    def check_alive(self) -> None:
        assert self.process is not None
        if self.process.returncode is not None:
            tail = self.log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(
                f"bot {self.name} exited with {self.process.returncode}; log ends:\n{tail}"
            )

    async def wait_ready(self, api: FakeApi) -> float:
        """Until the bot serves: polling has asked for updates, or the webhook port answers.
        Returns the seconds since the process was started."""
        started = self.started_at
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            self.check_alive()
            if self.webhook_port is None:
                if (await api.stats())["requests"].get("getUpdates", 0) > 0:
                    return time.monotonic() - started
            else:
                with contextlib.suppress(OSError):
                    _reader, writer = await asyncio.open_connection("127.0.0.1", self.webhook_port)
                    writer.close()
                    return time.monotonic() - started
            await asyncio.sleep(0.2)
        raise RuntimeError(f"bot {self.name} did not start within {START_TIMEOUT_S:.0f} s")

    async def stop(self) -> None:
        if self.process is None:
            return
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), STOP_TIMEOUT_S)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        self.exit_code = self.process.returncode

    def log_summary(self) -> dict[str, Any]:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return {
            "exit_code": self.exit_code,
            "log_bytes": len(text.encode()),
            "error_lines": len(ERROR_LINE.findall(text)),
            "warning_lines": len(WARNING_LINE.findall(text)),
            "tracebacks": text.count("Traceback (most recent call last)"),
        }

    def cleanup(self, keep_log_in: str | None = None) -> None:
        """Remove the working folder; first copy the log to `keep_log_in` if given."""
        if keep_log_in and self.log_path.exists():
            Path(keep_log_in).mkdir(parents=True, exist_ok=True)
            shutil.copy(self.log_path, Path(keep_log_in) / f"bot-{self.name}.log")
        shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.asynccontextmanager
async def running_bots(bots: Sequence[BotProcess], api: FakeApi) -> AsyncIterator[list[float]]:
    """Start the bots, wait until each serves (yields the seconds each took), stop them."""
    try:
        for bot in bots:
            await bot.start()
        yield [await bot.wait_ready(api) for bot in bots]
    finally:
        for bot in bots:
            await bot.stop()


# -- the database, from this process --------------------------------------------------------------


async def seed(url: str, members: int) -> list[int]:
    """Seed `members` members; mark the command menus current, as in a deployment that has
    run before (otherwise start-up refreshes every member's menu first). Returns chat ids."""
    seeded = await seed_members(url, members)
    db = Database(url)
    try:
        async with db.transaction() as tx:
            await tx.meta.set("menu_version", MENU_VERSION)
    finally:
        await db.close()
    return seeded.telegram_user_ids


async def queue_announcement(url: str) -> tuple[int, int]:
    """Queue an announcement to everyone, as `convene notice` from the command line does;
    the running bot's worker finds it at its next poll. Returns (notice id, recipients)."""
    db = Database(url)
    try:
        return await Notices(db, SystemClock()).announce(
            AnnouncementSpec(body=ANNOUNCEMENT_BODY, audience=Audience(everyone=True)),
            created_by=None,
            progress_chat_id=None,
        )
    finally:
        await db.close()


async def delivery_states(db: Database, notice_id: int) -> dict[str, int]:
    async with db.engine.connect() as connection:
        rows = await connection.execute(
            sa.select(deliveries.c.state, sa.func.count())
            .where(deliveries.c.notice_id == notice_id)
            .group_by(deliveries.c.state)
        )
        return {str(state): int(count) for state, count in rows}


async def failure_reasons(db: Database, notice_id: int) -> dict[str, int]:
    async with db.engine.connect() as connection:
        rows = await connection.execute(
            sa.select(deliveries.c.last_error, sa.func.count())
            .where(deliveries.c.notice_id == notice_id)
            .where(deliveries.c.state != "sent")
            .group_by(deliveries.c.last_error)
        )
        return {str(error): int(count) for error, count in rows}


async def sample_states(
    url: str, notice_id: int, started: float, timeline: list[list[Any]]
) -> None:
    """Every SAMPLE_S, append [seconds since `started`, the rows' states] to `timeline`."""
    db = Database(url)
    try:
        while True:
            timeline.append(
                [round(time.monotonic() - started, 1), await delivery_states(db, notice_id)]
            )
            await asyncio.sleep(SAMPLE_S)
    finally:
        await db.close()


def unfinished(states: dict[str, int]) -> int:
    return states.get("pending", 0) + states.get("sending", 0)


async def wait_deliveries_done(url: str, notice_id: int, limit_s: float) -> dict[str, int]:
    """Poll the notice's rows until none is pending or being sent, or time out."""
    db = Database(url)
    try:
        deadline = time.monotonic() + limit_s
        states = await delivery_states(db, notice_id)
        while unfinished(states) and time.monotonic() < deadline:
            await asyncio.sleep(POLL_S)
            states = await delivery_states(db, notice_id)
        return states
    finally:
        await db.close()


# -- what the fake accepted -------------------------------------------------------------------------


def chat_of(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def sent_messages(stats: dict[str, Any], chats: set[int]) -> list[list[Any]]:
    """Accepted sendMessage rows to `chats`: [time, method, chat, text?]."""
    return [
        row for row in stats["accepted"] if row[1] == "sendMessage" and chat_of(row[2]) in chats
    ]


async def wait_accepted(api: FakeApi, chats: set[int], count: int, limit_s: float) -> int:
    """Until the fake has accepted `count` messages to `chats` (or time out); the count."""
    deadline = time.monotonic() + limit_s
    seen = 0
    while time.monotonic() < deadline:
        seen = len(sent_messages(await api.stats(), chats))
        if seen >= count:
            break
        await asyncio.sleep(POLL_S)
    return seen


class Replies:
    """Tells a reply to /help from an apology and from the announcement, in every locale."""

    def __init__(self) -> None:
        i18n = I18n("en")
        self.help = {i18n.translator(loc).gettext(HELP_INTRO)[:60] for loc in SUPPORTED_LOCALES}
        self.apology = {i18n.translator(loc).gettext(APOLOGY)[:60] for loc in SUPPORTED_LOCALES}

    def kind(self, text: str) -> str:
        if any(text.startswith(prefix) for prefix in self.help):
            return "help"
        if any(text.startswith(prefix) for prefix in self.apology):
            return "apology"
        if ANNOUNCEMENT_BODY[:60] in text:
            return "announcement"
        return "other"


def first_reply_after(
    rows: list[list[Any]], replies: Replies, chat: int, posted: float
) -> tuple[float | None, dict[str, int]]:
    """When the first /help reply to `chat` was accepted after `posted`, and the kinds of
    every message to it after `posted`."""
    kinds: dict[str, int] = {}
    first = None
    for t, _method, chat_id, text in rows:
        if chat_of(chat_id) != chat or t < posted:
            continue
        kind = replies.kind(text)
        kinds[kind] = kinds.get(kind, 0) + 1
        if kind == "help" and (first is None or t < first):
            first = t
    return first, kinds


# -- posting updates to the webhook ----------------------------------------------------------------


async def post_update(
    session: aiohttp.ClientSession, url: str, update: dict[str, Any]
) -> tuple[float, int, float]:
    """POST one update as Telegram does; returns (monotonic time before posting, HTTP
    status or 0 for no answer, seconds until the webhook answered)."""
    posted = time.monotonic()
    try:
        async with session.post(
            url,
            data=json.dumps(update),
            headers={SECRET_HEADER: WEBHOOK_SECRET, "Content-Type": "application/json"},
        ) as response:
            await response.read()
            return posted, response.status, time.monotonic() - posted
    except aiohttp.ClientError:
        return posted, 0, time.monotonic() - posted


async def post_flood(url: str, user: int, count: int) -> None:
    """Post `count` updates of `user` (/help and text alternately), 100 at a time; print
    TENTH once a tenth are acknowledged, then DONE <seconds> <statuses as JSON>."""
    statuses: dict[int, int] = {}
    acknowledged = 0
    started = time.monotonic()
    if count // 10 == 0:
        print("TENTH", flush=True)

    async def one(session: aiohttp.ClientSession, k: int) -> None:
        nonlocal acknowledged
        text = "/help" if k % 2 == 0 else f"Hello, is anyone there? ({k})"
        # Update ids of their own: the benchmark's process numbers the others' from
        # bench.common's counter, and the bot drops an update id it has seen.
        update = message_update(user, text, update_id=FLOOD_UPDATE_IDS + k)
        _t, status, _ack = await post_update(session, url, update)
        statuses[status] = statuses.get(status, 0) + 1
        acknowledged += 1
        if acknowledged == count // 10:
            print("TENTH", flush=True)

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as session:
        await asyncio.gather(*(one(session, k) for k in range(count)))
    print(f"DONE {time.monotonic() - started} {json.dumps(statuses)}", flush=True)


def flood_main(argv: list[str]) -> None:
    """Entry of the flooding process: URL USER COUNT."""
    url, user, count = argv
    asyncio.run(post_flood(url, int(user), int(count)))


def latency_block(values: list[float | None]) -> dict[str, Any]:
    """Percentiles of reply times; a missing reply counts as infinitely late, so a
    percentile that reaches a missing one is None (shown "-", and fails a target)."""
    got = [v for v in values if v is not None]
    ranked = [v if v is not None else MISSING for v in values]

    def late(p: float) -> float | None:
        if not ranked:
            return None
        value = percentile(ranked, p)
        return value if got and value <= max(got) else None

    return {
        "count": len(values),
        "answered": len(got),
        "missing": len(values) - len(got),
        "p50_s": late(50),
        "p95_s": late(95),
        "max_s": max(got) if got else None,
    }


# -- scenarios a and b: an outage in the middle of an announcement ------------------------------------


async def run_outage(mode: str, args: argparse.Namespace) -> dict[str, Any]:
    label = {"refuse": "a", "502": "b"}[mode]
    async with fresh_database(args.database_url) as url, fake_api(args.latency_ms) as api:
        chats = set(await seed(url, args.members))
        bot = BotProcess(f"{label}-polling", url, api.url)
        timeline: list[list[Any]] = []
        try:
            async with running_bots([bot], api) as ready:
                started = time.monotonic()
                notice_id, recipients = await queue_announcement(url)
                before_cut = await wait_accepted(
                    api, chats, args.members // 3, args.members / 10 + 60
                )
                cut = time.monotonic()
                await api.fault(mode)
                print(f"  [{label}] fault {mode!r} after {before_cut} messages", flush=True)
                sampler = asyncio.create_task(sample_states(url, notice_id, started, timeline))
                try:
                    await asyncio.sleep(args.outage_seconds)
                    await api.fault("ok")
                    restored = time.monotonic()
                    print(f"  [{label}] Bot API back after {restored - cut:.0f} s", flush=True)
                    states = await wait_deliveries_done(
                        url, notice_id, args.members / 25 + args.settle_seconds
                    )
                    done = time.monotonic()
                finally:
                    sampler.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await sampler
                stats = await api.stats()
                db = Database(url)
                try:
                    reasons = await failure_reasons(db, notice_id)
                finally:
                    await db.close()
            log = bot.log_summary()
        finally:
            bot.cleanup(args.logs_dir)
    rows = sent_messages(stats, chats)
    summary = summarize(rows, chats, limit_per_second=LIMIT_PER_SECOND)
    lost = summary.pop("lost")
    times = sorted(float(r[0]) for r in rows)
    # The fault's bounds as the fake switched it (its clock is this one: CLOCK_MONOTONIC).
    cut, restored = stats["fault_changes"][0][0], stats["fault_changes"][-1][0]
    after = [t for t in times if t >= restored]
    in_flight = [change[2] for change in stats["fault_changes"]]
    result = {
        "scenario": label,
        "fault": "connection refused" if mode == "refuse" else "502 Bad Gateway",
        "mode": "long polling",
        "members": args.members,
        "recipients": recipients,
        "outage_s": args.outage_seconds,
        "start_s": ready[0],
        "accepted_before_cut": sum(1 for t in times if t < cut),
        "cut_at_s": cut - started,
        "accepted_during_outage": sum(1 for t in times if cut <= t < restored),
        "resumed_after_restore_s": (after[0] - restored) if after else None,
        "last_message_at_s": (times[-1] - started) if times else None,
        "wall_s": done - started,
        "ideal_s": (args.members - 1) / LIMIT_PER_SECOND + args.outage_seconds,
        "delivered": summary["messages"] - summary["duplicates"],
        "lost": len(lost),
        "lost_sample": lost[:10],
        "duplicates": summary["duplicates"],
        "in_flight_at_cuts": in_flight,
        "allowed_duplicates": args.allowed_duplicates,
        "delivery_states": states,
        "not_sent_reasons": reasons,
        "states_timeline": timeline,
        "rejected_429": stats["rejected_429"],
        "faulted_502": stats["faulted_502"],
        "requests": stats["requests"],
        "bot_log": log,
    }
    result["checks"] = {
        "zero_lost": result["lost"] == 0,
        "duplicates_only_in_flight": result["duplicates"] <= args.allowed_duplicates,
        "every_row_sent": states.get("sent", 0) == recipients and len(states) == 1,
    }
    return result


# -- scenario c: one flooder, 40 others sending /help ------------------------------------------------


async def run_flood(args: argparse.Namespace) -> dict[str, Any]:
    replies = Replies()
    async with fresh_database(args.database_url) as url, fake_api(args.latency_ms) as api:
        members = await seed(url, OTHERS + 1)
        flooder, others = members[0], members[1 : OTHERS + 1]
        bot = BotProcess("c-webhook", url, api.url, webhook_port=free_port())
        try:
            async with running_bots([bot], api) as ready:
                # The flood is posted by a process of its own, as Telegram's servers are
                # not this one: its thousand requests must not delay the others' posts.
                flood = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-c",
                    "import sys; from bench.resilience import flood_main; flood_main(sys.argv[1:])",
                    bot.webhook_url,
                    str(flooder),
                    str(args.flood_updates),
                    cwd=str(ROOT),
                    stdout=asyncio.subprocess.PIPE,
                )
                assert flood.stdout is not None
                try:
                    # The others write while the flood is arriving: after a tenth of it.
                    line = await asyncio.wait_for(flood.stdout.readline(), START_TIMEOUT_S)
                    if line.strip() != b"TENTH":
                        raise RuntimeError(f"the flood did not start: {line!r}")
                    async with aiohttp.ClientSession() as session:
                        posts = []
                        for user in others:
                            update = message_update(user, "/help")
                            posts.append(
                                asyncio.create_task(post_update(session, bot.webhook_url, update))
                            )
                            await asyncio.sleep(args.others_interval)
                        answers = await asyncio.gather(*posts)
                        posted = [t for t, _status, _ack in answers]
                        acks = [ack for _t, _status, ack in answers]
                    line = await asyncio.wait_for(flood.stdout.readline(), START_TIMEOUT_S)
                    _done, seconds, status_json = line.decode().split(" ", 2)
                    flood_s = float(seconds)
                    statuses = {int(k): v for k, v in json.loads(status_json).items()}
                finally:
                    if flood.returncode is None:
                        with contextlib.suppress(ProcessLookupError):
                            flood.kill()
                        await flood.wait()
                # Until every other has a reply, or time out; then a little more for the flood.
                deadline = time.monotonic() + args.reply_timeout
                while True:
                    stats = await api.stats(texts=True)
                    rows = sent_messages(stats, set(others))
                    answered = {chat_of(r[2]) for r in rows if replies.kind(r[3]) == "help"}
                    if len(answered) >= len(others) or time.monotonic() > deadline:
                        break
                    await asyncio.sleep(POLL_S)
                await asyncio.sleep(3)
                stats = await api.stats(texts=True)
            log = bot.log_summary()
        finally:
            bot.cleanup(args.logs_dir)
    rows = sent_messages(stats, set(others))
    latencies: list[float | None] = []
    kinds_total: dict[str, int] = {}
    for user, t_post in zip(others, posted, strict=True):
        first, kinds = first_reply_after(rows, replies, user, t_post)
        latencies.append(None if first is None else first - t_post)
        for kind, n in kinds.items():
            kinds_total[kind] = kinds_total.get(kind, 0) + n
    flood_rows = sent_messages(stats, {flooder})
    latency = latency_block(latencies)
    result = {
        "scenario": "c",
        "mode": "webhook",
        "flood_updates": args.flood_updates,
        "flood_post_s": flood_s,
        "flood_http_statuses": {str(k): v for k, v in statuses.items()},
        "others": len(others),
        "start_s": ready[0],
        "others_latency": latency,
        # How long the webhook took to take the others' updates (it answers once queued):
        # the part of their wait spent before the bot even had the update.
        "others_webhook_answer": latency_block(list(acks)),
        "others_latencies_in_posting_order_s": [
            None if v is None else round(v, 3) for v in latencies
        ],
        "others_messages_by_kind": kinds_total,
        "flooder_answered": len(flood_rows),
        "rejected_429": stats["rejected_429"],
        "rejected_429_by_method": stats["rejected_429_by_method"],
        "rejected_429_by_limit": stats["rejected_429_by_limit"],
        "requests": stats["requests"],
        "bot_log": log,
    }
    result["checks"] = {
        "others_p95_lt_0_5s": latency["p95_s"] is not None and latency["p95_s"] < TARGET_P95_S,
    }
    return result


# -- scenario d: two processes on one PostgreSQL database ---------------------------------------------


async def run_two_processes(args: argparse.Namespace) -> dict[str, Any]:
    replies = Replies()
    async with fresh_database(args.pg_url) as url, fake_api(args.latency_ms) as api:
        members = await seed(url, max(args.members, HELPERS))
        chats = set(members)
        step = max(1, len(members) // HELPERS)
        helpers = members[::step][:HELPERS]
        bots = [
            BotProcess(f"d-webhook-{k}", url, api.url, webhook_port=free_port()) for k in (1, 2)
        ]
        try:
            async with running_bots(bots, api) as ready:
                started = time.monotonic()
                notice_id, recipients = await queue_announcement(url)
                await wait_accepted(api, chats, max(1, len(members) // 10), 60)
                posted: dict[int, float] = {}
                statuses: dict[int, int] = {}
                async with aiohttp.ClientSession() as session:
                    for k, user in enumerate(helpers):
                        target = bots[k % 2].webhook_url
                        t_post, status, _ack = await post_update(
                            session, target, message_update(user, "/help")
                        )
                        posted[user] = t_post
                        statuses[status] = statuses.get(status, 0) + 1
                        await asyncio.sleep(args.update_interval)
                states = await wait_deliveries_done(
                    url, notice_id, len(members) / 20 + args.settle_seconds
                )
                deadline = time.monotonic() + args.reply_timeout
                while True:
                    stats = await api.stats(texts=True)
                    rows = sent_messages(stats, set(helpers))
                    answered = {chat_of(r[2]) for r in rows if replies.kind(r[3]) == "help"}
                    if len(answered) >= len(helpers) or time.monotonic() > deadline:
                        break
                    await asyncio.sleep(POLL_S)
                done = time.monotonic()
                stats = await api.stats(texts=True)
            logs = [bot.log_summary() for bot in bots]
        finally:
            for bot in bots:
                bot.cleanup(args.logs_dir)
    helper_rows = sent_messages(stats, set(helpers))
    latencies: list[float | None] = []
    kinds_total: dict[str, int] = {}
    for user in helpers:
        first, kinds = first_reply_after(helper_rows, replies, user, posted[user])
        latencies.append(None if first is None else first - posted[user])
        for kind, n in kinds.items():
            kinds_total[kind] = kinds_total.get(kind, 0) + n
    announcement_rows = [
        r for r in sent_messages(stats, chats) if replies.kind(r[3]) == "announcement"
    ]
    summary = summarize(announcement_rows, chats, limit_per_second=LIMIT_PER_SECOND)
    lost = summary.pop("lost")
    all_messages = list(stats["accepted"])
    latency = latency_block(latencies)
    result = {
        "scenario": "d",
        "mode": "two webhook processes",
        "database": redact_url(url).split("?")[0],
        "members": len(members),
        "recipients": recipients,
        "start_s": ready,
        "updates": len(helpers),
        "update_http_statuses": {str(k): v for k, v in statuses.items()},
        "wall_s": done - started,
        "ideal_s": (len(members) - 1) / LIMIT_PER_SECOND,
        "announcement": {
            "delivered": summary["messages"] - summary["duplicates"],
            "lost": len(lost),
            "duplicates": summary["duplicates"],
            "rate_per_s": summary["rate_per_s"],
            "max_in_any_1s_window": summary["max_in_any_1s_window"],
        },
        "peak_all_messages_1s": summarize(all_messages, [], LIMIT_PER_SECOND)[
            "max_in_any_1s_window"
        ],
        "delivery_states": states,
        "replies": latency,
        "helpers_messages_by_kind": kinds_total,
        "rejected_429": stats["rejected_429"],
        "rejected_429_by_method": stats["rejected_429_by_method"],
        "rejected_429_by_limit": stats["rejected_429_by_limit"],
        "requests": stats["requests"],
        "bot_logs": logs,
    }
    result["checks"] = {
        "zero_429": result["rejected_429"] == 0,
        "zero_replies_lost": latency["missing"] == 0,
    }
    return result


# -- output -------------------------------------------------------------------------------------------


def summary_table(results: dict[str, dict[str, Any]]) -> str:
    rows = []
    for key in ("a", "b"):
        r = results.get(key)
        if r is None:
            continue
        states = ", ".join(f"{k} {v}" for k, v in sorted(r["delivery_states"].items()))
        rows.append(
            [
                key,
                f"{r['fault']} {r['outage_s']:.0f} s, {r['members']} members",
                f"lost {r['lost']}, dups {r['duplicates']} (≤{r['allowed_duplicates']}), "
                f"rows: {states}",
                f"resumed {_s(r['resumed_after_restore_s'])} after, wall {r['wall_s']:.0f} s "
                f"(ideal {r['ideal_s']:.0f}), 429s {r['rejected_429']}, "
                f"ERROR lines {r['bot_log']['error_lines']}",
            ]
        )
    r = results.get("c")
    if r is not None:
        lat = r["others_latency"]
        rows.append(
            [
                "c",
                f"flood of {r['flood_updates']} updates in {r['flood_post_s']:.2f} s "
                f"+ {r['others']} × /help",
                f"others p50 {_s(lat['p50_s'])}, p95 {_s(lat['p95_s'])}, max {_s(lat['max_s'])}, "
                f"missing {lat['missing']}; webhook answered their posts in p95 "
                f"{_s(r['others_webhook_answer']['p95_s'])}",
                f"flooder answered {r['flooder_answered']}, 429s {r['rejected_429']}, "
                f"ERROR lines {r['bot_log']['error_lines']}, log {r['bot_log']['log_bytes']} B",
            ]
        )
    r = results.get("d")
    if r is not None:
        a = r["announcement"]
        errors = sum(log["error_lines"] for log in r["bot_logs"])
        rows.append(
            [
                "d",
                f"2 processes, {r['members']} members, {r['updates']} × /help",
                f"429s {r['rejected_429']}, replies missing {r['replies']['missing']}"
                f"/{r['updates']}, announcement lost {a['lost']} dups {a['duplicates']}",
                f"peak 1s {r['peak_all_messages_1s']}, replies p95 {_s(r['replies']['p95_s'])}, "
                f"ERROR lines {errors}",
            ]
        )
    return table(["", "what was done", "outcome", "more"], rows)


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def checks_line(name: str, checks: dict[str, bool]) -> str:
    return f"{name}: " + ", ".join(f"{k} {verdict(v)}" for k, v in checks.items())


# -- main -----------------------------------------------------------------------------------------------


async def main_async(args: argparse.Namespace) -> int:
    chosen = ["a", "b", "c", "d"] if args.scenario == "all" else [args.scenario]
    results: dict[str, dict[str, Any]] = {}
    for key in chosen:
        print(f"scenario {key} ...", flush=True)
        if key == "a":
            result = await run_outage("refuse", args)
        elif key == "b":
            result = await run_outage("502", args)
        elif key == "c":
            result = await run_flood(args)
        else:
            result = await run_two_processes(args)
        results[key] = result
        print("  " + checks_line(key, result["checks"]), flush=True)
    data = {
        "settings": {
            "members": args.members,
            "outage_seconds": args.outage_seconds,
            "flood_updates": args.flood_updates,
            "others_interval": args.others_interval,
            "latency_ms": args.latency_ms,
            "database": "sqlite (temporary)" if not args.database_url else "given",
        },
        "scenarios": results,
        "environment": environment(),
    }
    path = write_results("resilience", data)
    print()
    print(summary_table(results))
    print()
    for key, result in results.items():
        print(checks_line(key, result["checks"]))
    print(f"written {path.relative_to(ROOT)}")
    failed = any(not all(r["checks"].values()) for r in results.values())
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.resilience",
        description="The real bot process through Bot API outages, a flood, two processes.",
    )
    parser.add_argument("--scenario", choices=["a", "b", "c", "d", "all"], default="all")
    parser.add_argument("--members", type=int, default=1000, help="announcement size (a, b, d)")
    parser.add_argument(
        "--outage-seconds", type=float, default=120.0, help="length of the fault (a, b)"
    )
    parser.add_argument(
        "--allowed-duplicates",
        type=int,
        default=16,
        help="duplicates tolerated (a, b): the sends that can be in flight at a cut, the "
        "delivery worker's concurrency",
    )
    parser.add_argument(
        "--settle-seconds",
        type=float,
        default=150.0,
        help="after the Bot API is back, how long (beyond members/25 s) the rows may take",
    )
    parser.add_argument("--flood-updates", type=int, default=1000, help="the flooder's (c)")
    parser.add_argument(
        "--reply-timeout", type=float, default=60.0, help="how long to wait for replies (c, d)"
    )
    parser.add_argument(
        "--others-interval",
        type=float,
        default=0.05,
        help="between the 40 others' /help (c); below 1/30 s their replies alone would "
        "exceed Telegram's 30 messages a second",
    )
    parser.add_argument(
        "--update-interval", type=float, default=0.1, help="between the 60 updates (d)"
    )
    parser.add_argument(
        "--database-url", default=None, help="a, b, c: default a temporary SQLite file"
    )
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="d: PostgreSQL to use")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="fake's round trip")
    parser.add_argument(
        "--logs-dir", default=None, help="keep each bot process's log there (bot-NAME.log)"
    )
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)
    if not 1 <= args.members <= 100_000:
        parser.error("--members must be between 1 and 100000")
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    sys.exit(asyncio.run(main_async(args)))


if __name__ == "__main__":
    main()
