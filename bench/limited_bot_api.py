"""A fake Telegram Bot API that refuses messages the way Telegram's flood control does.

Why: the test fake (tests/auxil/fake_bot_api.py) answers everything at once, so it cannot
tell whether a broadcast to hundreds of participants stays inside Telegram's limits or how
much of the allowed throughput it uses. This server answers like api.telegram.org on
loopback, but applies the two limits Telegram documents for bots
(https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this):

- about 30 messages per second overall, here a sliding 1-second window;
- about one message per second per chat, with short bursts tolerated, here a token bucket.

A refused request is answered exactly as Telegram does: HTTP 429 with
`parameters.retry_after`, which python-telegram-bot turns into `telegram.error.RetryAfter`.
A message Telegram would not accept at all (markup it cannot parse, a text too long, bad
button data; the rules are tests/auxil/telegram_rules.py, shared with the test suite's fake)
is answered 400 before the limiter, and counted in `rejected_400`.
Every accepted message is recorded with its time, so a benchmark can measure the rate it
achieved, the messages it lost or duplicated, and the 429s it provoked.

Only "message" methods are limited: names starting with send, edit, copy or forward.
Answering callback queries, getMe, setMyCommands and the like are free, as on Telegram.

Times in the statistics are raw `time.monotonic()` seconds. On Linux that clock is
CLOCK_MONOTONIC, shared by every process of the machine, so a benchmark running the server
as a subprocess can still compare them with its own `time.monotonic()`.

Run by hand (loopback only):

    python -m bench.limited_bot_api --port 8099 [--overall 30] [--per-chat-burst 3] \
        [--latency-ms 0]

It prints `READY http://127.0.0.1:PORT` once serving; point the bot at
`http://127.0.0.1:PORT/bot` and read `GET /stats`, clear with `POST /reset`.

Faults, for the resilience benchmark: with `--control-port P` (0 picks one) a second
listener serves `POST /fault` with `{"mode": "ok" | "502" | "refuse"}`, `GET /fault`,
`GET /stats` and `POST /reset`, and a second line `CONTROL http://127.0.0.1:P` is printed.
"502" answers every Bot API call with 502 Bad Gateway, as Telegram's front end does when
the Bot API behind it is down; "refuse" closes the Bot API's listening socket and every
open connection, so a client gets "connection refused" until "ok" listens again on the
same port. The control listener is separate because it must answer while the Bot API's
port refuses.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import ipaddress
import itertools
import json
import logging
import math
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from aiohttp import web

from tests.auxil import telegram_rules

logger = logging.getLogger(__name__)

BOT_ID = 7000000001
BOT_USERNAME = "convene_bench_bot"
TOKEN = f"{BOT_ID}:BENCH-token-for-the-limited-bot-api"

# Prefixes of the methods Telegram counts against the flood limits.
MESSAGE_PREFIXES = ("send", "edit", "copy", "forward")

# Methods that only acknowledge: Telegram answers them with `true`.
TRUE_METHODS = frozenset(
    {
        "answerCallbackQuery",
        "setMyCommands",
        "deleteMyCommands",
        "deleteWebhook",
        "setWebhook",
        "close",
        "logOut",
    }
)
MESSAGE_METHODS = frozenset(
    {
        "sendMessage",
        "sendDocument",
        "editMessageText",
        "editMessageReplyMarkup",
        "editMessageCaption",
        "forwardMessage",
        "copyMessage",
    }
)
TEXT_SNIPPET = 200
# Slack for float rounding at the edge of the 1-second window: a client pacing exactly
# 30 per second (t0 + i/30) must not be refused because 1/30 * 30 lands a hair under 1.0.
WINDOW_SLACK = 1e-9
FAULT_MODES = ("ok", "502", "refuse")
BAD_GATEWAY = {"ok": False, "error_code": 502, "description": "Bad Gateway"}
# getUpdates waits at most this long: a benchmark never has updates to deliver, and a
# short wait keeps the bot's shutdown quick.
MAX_GET_UPDATES_WAIT = 1.0


def is_message_method(method: str) -> bool:
    """Whether Telegram counts `method` against the flood limits."""
    return method.startswith(MESSAGE_PREFIXES)


class AcceptedMessage(NamedTuple):
    t: float  # time.monotonic() when the request was accepted
    method: str
    chat_id: int | str | None
    text: str  # text or caption, first TEXT_SNIPPET characters


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class LimitedBotApi:
    """The Bot API answers, the flood limits and the statistics, without any HTTP.

    `handle()` is the whole behaviour; `serve()` only puts it on loopback. The limiter
    decides and records without awaiting in between, so concurrent requests on one event
    loop cannot both take the last free slot.
    """

    overall_per_second: int = 30
    per_chat_burst: int = 3
    per_chat_per_second: float = 1.0
    latency_ms: float = 0.0
    clock: Callable[[], float] = time.monotonic

    accepted: list[AcceptedMessage] = field(default_factory=list)
    rejected_429: int = 0
    rejected_429_by_method: collections.Counter[str] = field(default_factory=collections.Counter)
    rejected_400: collections.Counter[str] = field(default_factory=collections.Counter)
    # Which limit refused: "overall" (30 in a second), "per_chat", or "both".
    rejected_429_by_limit: collections.Counter[str] = field(default_factory=collections.Counter)
    requests: collections.Counter[str] = field(default_factory=collections.Counter)

    # Faults (see the module docstring): the mode, message requests answered 502, and
    # every change as [time, mode, message requests in flight at that moment].
    fault: str = "ok"
    faulted_502: int = 0
    fault_changes: list[list[Any]] = field(default_factory=list)
    in_flight_messages: int = 0

    _window: collections.deque[float] = field(default_factory=collections.deque)
    _buckets: dict[int | str, _Bucket] = field(default_factory=dict)
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))

    def __post_init__(self) -> None:
        if self.overall_per_second < 1 or self.per_chat_burst < 1:
            raise ValueError("limits must allow at least one message")
        if self.per_chat_per_second <= 0:
            raise ValueError("per_chat_per_second must be positive")

    # -- statistics --------------------------------------------------------------------

    def reset(self) -> None:
        """Forget the statistics and the limiter state, as if freshly started."""
        self.accepted.clear()
        self.rejected_429 = 0
        self.rejected_429_by_method.clear()
        self.rejected_400.clear()
        self.rejected_429_by_limit.clear()
        self.requests.clear()
        self._window.clear()
        self._buckets.clear()
        self._message_ids = itertools.count(1000)

    def stats(self, with_texts: bool = False) -> dict[str, Any]:
        """The JSON served at GET /stats; times are raw time.monotonic() seconds."""
        return {
            "clock": "monotonic",
            "now": self.clock(),
            "accepted": [
                [m.t, m.method, m.chat_id, m.text] if with_texts else [m.t, m.method, m.chat_id]
                for m in self.accepted
            ],
            "rejected_429": self.rejected_429,
            "rejected_429_by_method": dict(self.rejected_429_by_method),
            "rejected_400": dict(self.rejected_400),  # by Telegram's description
            "rejected_429_by_limit": dict(self.rejected_429_by_limit),
            "requests": dict(self.requests),
            "fault": self.fault,
            "faulted_502": self.faulted_502,
            "fault_changes": list(self.fault_changes),
        }

    def set_fault(self, mode: str) -> None:
        """Record a change of fault mode (serving or refusing is up to the HTTP layer)."""
        if mode not in FAULT_MODES:
            raise ValueError(f"fault mode must be one of {', '.join(FAULT_MODES)}")
        self.fault = mode
        self.fault_changes.append([self.clock(), mode, self.in_flight_messages])

    # -- flood limits ------------------------------------------------------------------

    def _admit(self, method: str, chat_id: int | str | None, text: str) -> int | None:
        """Accept and record a message request, or return the retry_after to refuse it with.

        Both limits are checked before either is charged: a refused request must not use up
        a slot of the window or a token of its chat, or a client that keeps retrying would
        be punished for requests Telegram never delivered.
        """
        now = self.clock()
        window = self._window
        while window and window[0] <= now - 1.0 + WINDOW_SLACK:
            window.popleft()
        retry_after = 0
        overall_full = len(window) >= self.overall_per_second
        if overall_full:
            retry_after = 1
        chat_empty = False

        bucket = None
        if chat_id is not None:
            bucket = self._buckets.get(chat_id)
            if bucket is None:
                bucket = self._buckets[chat_id] = _Bucket(float(self.per_chat_burst), now)
            bucket.tokens = min(
                float(self.per_chat_burst),
                bucket.tokens + (now - bucket.updated) * self.per_chat_per_second,
            )
            bucket.updated = now
            if bucket.tokens < 1.0:
                chat_empty = True
                wait = (1.0 - bucket.tokens) / self.per_chat_per_second
                retry_after = max(retry_after, 1, math.ceil(wait))

        if retry_after:
            self.rejected_429 += 1
            self.rejected_429_by_method[method] += 1
            limit = (
                "both" if overall_full and chat_empty else "overall" if overall_full else "per_chat"
            )
            self.rejected_429_by_limit[limit] += 1
            logger.debug("429 for %s to %s, retry after %d", method, chat_id, retry_after)
            return retry_after

        window.append(now)
        if bucket is not None:
            bucket.tokens -= 1.0
        self.accepted.append(AcceptedMessage(now, method, chat_id, text[:TEXT_SNIPPET]))
        return None

    # -- the Bot API --------------------------------------------------------------------

    def bot_user(self) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Convene",
            "username": BOT_USERNAME,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _message(
        self, method: str, params: dict[str, Any], chat_id: int | str | None
    ) -> dict[str, Any]:
        # An edit answers with the edited message, so it keeps its id.
        edited_id = params.get("message_id") if method.startswith("edit") else None
        message: dict[str, Any] = {
            "message_id": int(edited_id) if edited_id else next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id if chat_id is not None else 0, "type": "private"},
            "from": self.bot_user(),
            "text": str(params.get("text", "")),
        }
        if params.get("caption") is not None:
            message["caption"] = str(params["caption"])
        if method == "sendDocument":
            message["document"] = {
                "file_id": f"BENCH-document-{message['message_id']}",
                "file_unique_id": f"bench{message['message_id']}",
            }
        markup = params.get("reply_markup")
        if isinstance(markup, dict):
            message["reply_markup"] = markup
        return message

    async def handle(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Answer one Bot API call: (HTTP status, JSON body), limits and statistics included.

        `latency_ms` is a round trip: half is spent before the request "reaches Telegram"
        and is judged by the limiter, half before the answer comes back, so a client
        sending concurrently sees its requests accepted in flight as it would for real.
        """
        self.requests[method] += 1
        if self.fault == "502":
            self.faulted_502 += 1
            return 502, dict(BAD_GATEWAY)
        half_trip = self.latency_ms / 2000.0
        counted = is_message_method(method)
        if counted:
            self.in_flight_messages += 1
        try:
            if half_trip > 0:
                await asyncio.sleep(half_trip)
            status, body = await self._answer(method, params)
            if half_trip > 0:
                await asyncio.sleep(half_trip)
        finally:
            if counted:
                self.in_flight_messages -= 1
        return status, body

    async def _answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if method == "getMe":
            return _ok(self.bot_user())
        if method == "getUpdates":
            timeout = _number(params.get("timeout"))
            await asyncio.sleep(max(0.0, min(timeout, MAX_GET_UPDATES_WAIT)))
            return _ok([])
        if method in TRUE_METHODS:
            return _ok(True)
        if method not in MESSAGE_METHODS:
            # Unknown methods are refused before the limiter, as Telegram does: they are
            # not messages and must not use up the window.
            body = {"ok": False, "error_code": 404, "description": f"Not Found: {method}"}
            return 404, body

        refused = telegram_rules.refusal(method, params)
        if refused is not None:
            # Refused before the limiter, as Telegram does: a malformed request is no message.
            self.rejected_400[str(refused["description"])] += 1
            return 400, refused
        chat_id = _chat_id(params.get("chat_id"))
        text = str(params.get("text") or params.get("caption") or "")
        retry_after = self._admit(method, chat_id, text)
        if retry_after is not None:
            return 429, {
                "ok": False,
                "error_code": 429,
                "description": f"Too Many Requests: retry after {retry_after}",
                "parameters": {"retry_after": retry_after},
            }
        if method.startswith("edit") and chat_id is None:
            # Editing an inline message (inline_message_id) answers true, not a Message.
            return _ok(True)
        if method == "copyMessage":
            return _ok({"message_id": next(self._message_ids)})
        return _ok(self._message(method, params, chat_id))


def _ok(result: Any) -> tuple[int, dict[str, Any]]:
    return 200, {"ok": True, "result": result}


def _number(value: Any) -> float:
    try:
        return float(value or 0)
    except (TypeError, ValueError):
        return 0.0


def _chat_id(value: Any) -> int | str | None:
    """The chat id as Telegram keys it: forms send "123", JSON sends 123, channels "@name"."""
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return str(value)


def _decode(value: Any) -> Any:
    # PTB sends nested objects (reply_markup, entities) as JSON strings inside forms.
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


async def _read_params(request: web.Request) -> dict[str, Any]:
    """Parameters of a Bot API call, whichever way the client encoded them."""
    params: dict[str, Any] = {k: _decode(v) for k, v in request.query.items()}
    if request.content_type == "application/json":
        if request.can_read_body:
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError("JSON body is not an object")
            params.update({k: _decode(v) for k, v in body.items()})
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for name, value in (await request.post()).items():
            if isinstance(value, str):
                params[name] = _decode(value)
            else:
                # An uploaded file: its content does not matter to a benchmark, only that
                # one was sent (PTB names the part after the parameter, e.g. "document").
                params.setdefault(name, {"uploaded_file": value.filename})
    return params


def _check_loopback(host: str) -> None:
    # The fake accepts any token and answers anyone: it must never be reachable from the
    # network.
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"refusing to serve on non-loopback host {host!r}")


def _add_statistics(app: web.Application, api: LimitedBotApi) -> None:
    """GET /stats and POST /reset, on the Bot API's listener and on the control one."""

    async def stats(request: web.Request) -> web.Response:
        with_texts = request.query.get("texts", "") not in ("", "0", "false")
        return web.json_response(api.stats(with_texts=with_texts))

    async def reset(_request: web.Request) -> web.Response:
        api.reset()
        return web.json_response({"ok": True})

    app.router.add_get("/stats", stats)
    app.router.add_post("/reset", reset)


def make_app(api: LimitedBotApi) -> web.Application:
    """The aiohttp application: the Bot API under /bot{token}/, plus /stats and /reset."""

    async def endpoint(request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            params = await _read_params(request)
        except ValueError as error:
            api.requests[method] += 1
            body = {"ok": False, "error_code": 400, "description": f"Bad Request: {error}"}
            return web.json_response(body, status=400)
        status, body = await api.handle(method, params)
        return web.json_response(body, status=status)

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", endpoint)
    app.router.add_get("/bot{token}/{method}", endpoint)
    _add_statistics(app, api)
    return app


async def serve(
    api: LimitedBotApi, host: str = "127.0.0.1", port: int = 0
) -> tuple[web.AppRunner, str]:
    """Serve `api` on loopback; returns the runner (call `cleanup()`) and the base URL.

    Port 0 lets the OS pick a free port; the base URL carries the real one.
    """
    _check_loopback(host)
    # No access log: one line per request would cost more than answering it.
    runner = web.AppRunner(make_app(api), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1]
    shown = f"[{host}]" if ":" in host else host
    logger.info("limited Bot API serving on http://%s:%d", shown, bound)
    return runner, f"http://{shown}:{bound}"


class FaultSwitch:
    """Puts the Bot API's listener out of service and back, for the "refuse" fault.

    Stopping the site closes the listening socket (new connections are refused); the open
    keep-alive connections are closed too, as a peer that went away would, so a client
    cannot go on using them.
    """

    def __init__(self, api: LimitedBotApi, runner: web.AppRunner, host: str, port: int) -> None:
        self.api = api
        self.runner = runner
        self.host = host
        self.port = port
        self._lock = asyncio.Lock()

    async def set(self, mode: str) -> None:
        async with self._lock:
            if mode not in FAULT_MODES:
                raise ValueError(f"fault mode must be one of {', '.join(FAULT_MODES)}")
            was_refusing = self.api.fault == "refuse"
            self.api.set_fault(mode)
            if mode == "refuse" and not was_refusing:
                for site in list(self.runner.sites):
                    await site.stop()
                server = self.runner.server
                for connection in list(server.connections if server is not None else ()):
                    connection.force_close()
            elif mode != "refuse" and was_refusing:
                await web.TCPSite(self.runner, self.host, self.port).start()


def make_control_app(api: LimitedBotApi, switch: FaultSwitch) -> web.Application:
    """The control listener: /fault, and /stats and /reset as on the Bot API's port."""

    async def set_fault(request: web.Request) -> web.Response:
        try:
            body = await request.json()
            await switch.set(str(body.get("mode")))
        except (ValueError, AttributeError) as error:
            return web.json_response({"ok": False, "error": str(error)}, status=400)
        return web.json_response({"ok": True, "mode": api.fault})

    async def get_fault(_request: web.Request) -> web.Response:
        return web.json_response({"mode": api.fault, "changes": api.fault_changes})

    app = web.Application()
    app.router.add_post("/fault", set_fault)
    app.router.add_get("/fault", get_fault)
    _add_statistics(app, api)
    return app


async def serve_control(
    api: LimitedBotApi, runner: web.AppRunner, host: str, port: int
) -> tuple[web.AppRunner, str]:
    """Serve the control listener beside the Bot API served by `runner`; returns its
    runner and base URL."""
    _check_loopback(host)
    bound_api = runner.addresses[0][1]
    switch = FaultSwitch(api, runner, host, bound_api)
    control = web.AppRunner(make_control_app(api, switch), access_log=None)
    await control.setup()
    await web.TCPSite(control, host, port).start()
    bound = control.addresses[0][1]
    return control, f"http://{host}:{bound}"


def _parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.limited_bot_api",
        description="Fake Telegram Bot API on loopback with Telegram's flood limits.",
    )
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--overall", type=int, default=30, help="messages per second, all chats")
    parser.add_argument("--per-chat-burst", type=int, default=3, help="burst per chat at 1/s")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="round trip per request")
    parser.add_argument(
        "--control-port",
        type=int,
        default=None,
        help="serve /fault (and /stats, /reset) on this port too; 0 picks a free one",
    )
    parser.add_argument("--log-level", default="WARNING")
    return parser.parse_args(argv)


async def _main(args: argparse.Namespace) -> None:
    api = LimitedBotApi(
        overall_per_second=args.overall,
        per_chat_burst=args.per_chat_burst,
        latency_ms=args.latency_ms,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    runner, url = await serve(api, port=args.port)
    control = None
    try:
        print(f"READY {url}", flush=True)
        if args.control_port is not None:
            control, control_url = await serve_control(api, runner, "127.0.0.1", args.control_port)
            print(f"CONTROL {control_url}", flush=True)
        await stop.wait()
    finally:
        if control is not None:
            await control.cleanup()
        await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    args = _parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s %(message)s")
    # The signal handlers end the loop cleanly; this only covers a Ctrl-C that arrives
    # before they are installed.
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(args))


if __name__ == "__main__":
    main()
