"""A Bot API fake: answers the methods Convene uses and records every call.

Used two ways, with the same state and answers:
- in process, through `RecordingRequest`, a PTB request object that never
  touches the network (after PTB's own tests/auxil/networking.py);
- over HTTP on loopback, through `serve()`, for the end-to-end test that runs
  the bot in polling mode as a separate process. `python -m tests.auxil.fake_bot_api`
  serves one by hand, to try the bot locally without Telegram.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

BOT_ID = 7000000001
BOT_USERNAME = "convene_test_bot"
TOKEN = f"{BOT_ID}:TEST-token-for-the-fake-bot-api"


@dataclass
class Call:
    method: str
    params: dict[str, Any]

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback_data) of the inline keyboard, row by row."""
        markup = self.params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        if not markup:
            return []
        return [
            (button["text"], button.get("callback_data", ""))
            for row in markup.get("inline_keyboard", [])
            for button in row
        ]


@dataclass
class FakeBotApi:
    username: str = BOT_USERNAME
    calls: list[Call] = field(default_factory=list)
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _new_update: asyncio.Event | None = None
    # Answers to force, per chat id (None: any chat), used in order: (error code,
    # description, retry_after). A refused call is kept in `refused`, not in `calls`.
    failures: dict[int | None, list[tuple[int, str, int | None]]] = field(default_factory=dict)
    refused: list[Call] = field(default_factory=list)
    # What getFile serves and a download returns, by file_id (anything else: b"content").
    files: dict[str, bytes] = field(default_factory=dict)
    # Telegram away for a stretch (see go_down): every call fails, getMe included.
    outage: str | None = None
    outage_until: datetime | None = None
    outage_clock: Any = None
    outage_refused: list[str] = field(default_factory=list)  # methods that met the outage

    def go_down(
        self, mode: str = "refuse", *, until: datetime | None = None, clock: Any = None
    ) -> None:
        """Make Telegram unreachable: "refuse" (connection refused), "timeout", or "502"
        (Bad Gateway), for every call, until `restore()` or, given a clock, until it passes
        `until`."""
        assert mode in {"refuse", "timeout", "502"}
        self.outage, self.outage_until, self.outage_clock = mode, until, clock

    def restore(self) -> None:
        self.outage = None

    def down(self, method: str) -> str | None:
        """The outage in force now, if any (and records the call it refuses)."""
        if self.outage is None:
            return None
        if self.outage_until is not None and self.outage_clock.now() >= self.outage_until:
            self.outage = None
            return None
        self.outage_refused.append(method)
        return self.outage

    def fail(
        self,
        chat_id: int | None,
        code: int,
        description: str,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next `times` message calls to `chat_id` (None: to anyone) fail."""
        self.failures.setdefault(chat_id, []).extend([(code, description, retry_after)] * times)

    def _forced_failure(self, method: str, params: dict[str, Any]) -> dict[str, Any] | None:
        if not method.startswith(("send", "edit")):
            return None
        chat = params.get("chat_id")
        for key in (int(chat) if chat is not None else None, None):
            queue = self.failures.get(key)
            if queue:
                code, description, retry_after = queue.pop(0)
                body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
                if retry_after is not None:
                    body["parameters"] = {"retry_after": retry_after}
                self.refused.append(Call(method, params))
                return body
        return None

    # -- what tests read --------------------------------------------------------------

    def sent(self, chat_id: int | None = None, method: str = "sendMessage") -> list[Call]:
        return [
            c
            for c in self.calls
            if c.method == method and (chat_id is None or c.chat_id == chat_id)
        ]

    def last(self, chat_id: int, method: str = "sendMessage") -> Call:
        found = self.sent(chat_id, method)
        assert found, f"nothing was sent to {chat_id} with {method}"
        return found[-1]

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    # -- updates for getUpdates (HTTP mode) -------------------------------------------

    def push_update(self, update: dict[str, Any]) -> int:
        update = {**update, "update_id": update.get("update_id") or next(self._update_ids)}
        self._updates.append(update)
        if self._new_update is not None:
            self._new_update.set()
        return int(update["update_id"])

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), 5.0)
        deadline = time.monotonic() + timeout
        while True:
            ready = [u for u in self._updates if u["update_id"] >= offset]
            if ready or time.monotonic() >= deadline:
                return ready
            self._new_update = asyncio.Event()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), deadline - time.monotonic())

    # -- the Bot API --------------------------------------------------------------------

    def bot_user(self) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Convene",
            "username": self.username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _message(self, params: dict[str, Any], message_id: int | None = None) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        message: dict[str, Any] = {
            "message_id": message_id or next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "from": self.bot_user(),
            "text": params.get("text", ""),
        }
        markup = params.get("reply_markup")
        if markup:
            message["reply_markup"] = json.loads(markup) if isinstance(markup, str) else markup
        return message

    async def handle(self, method: str, params: dict[str, Any]) -> Any:
        """The `result` of a Bot API method; raises KeyError for methods it does not know,
        ApiError for a failure forced with `fail()`."""
        forced = self._forced_failure(method, params)
        if forced is not None:
            raise ApiError(forced)
        if method != "getUpdates":
            self.calls.append(Call(method, params))
        if method == "getMe":
            return self.bot_user()
        if method == "getUpdates":
            return await self._get_updates(params)
        if method == "sendMessage":
            return self._message(params)
        if method == "sendDocument":
            message = self._message(params)
            document = params.get("document")
            message["document"] = {
                "file_id": document if isinstance(document, str) else f"file-{len(self.calls)}",
                "file_unique_id": f"u{len(self.calls)}",
                "file_name": document.filename if isinstance(document, UploadedFile) else "file",
            }
            if params.get("caption"):
                message["caption"] = params["caption"]
            return message
        if method == "getWebhookInfo":
            hooks = [c for c in self.calls if c.method in ("setWebhook", "deleteWebhook")]
            url = (
                hooks[-1].params.get("url", "")
                if hooks and hooks[-1].method == "setWebhook"
                else ""
            )
            return {"url": url, "has_custom_certificate": False, "pending_update_count": 0}
        if method == "getFile":
            file_id = str(params["file_id"])
            return {
                "file_id": file_id,
                "file_unique_id": f"u-{file_id}",
                "file_size": len(self.files.get(file_id, b"content")),
                "file_path": f"documents/{file_id}",
            }
        if method in {"editMessageText", "editMessageReplyMarkup"}:
            return self._message(params, int(params["message_id"]))
        if method in {
            "answerCallbackQuery",
            "setMyCommands",
            "deleteMyCommands",
            "deleteWebhook",
            "setWebhook",
            "close",
            "logOut",
        }:
            return True
        raise KeyError(method)


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    content: bytes


class ApiError(Exception):
    """A forced error answer; `body` is the Bot API's JSON."""

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__(body["description"])
        self.body = body


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class RecordingRequest(BaseRequest):
    """A PTB request that hands every call to a FakeBotApi instead of the network."""

    def __init__(self, api: FakeBotApi) -> None:
        self.api = api

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        outage = self.api.down(url.rsplit("/", 1)[-1])
        if outage == "refuse":  # what PTB's HTTPXRequest raises when nothing listens
            raise NetworkError("httpx.ConnectError: All connection attempts failed")
        if outage == "timeout":
            raise TimedOut("Timed out")
        if outage == "502":
            body = {"ok": False, "error_code": 502, "description": "Bad Gateway"}
            return 502, json.dumps(body).encode()
        if "/file/bot" in url:  # a download of what getFile described
            file_id = url.rsplit("/", 1)[-1]
            return 200, self.api.files.get(file_id, b"content")
        api_method = url.rsplit("/", 1)[-1]
        params = {
            k: _decode(v) for k, v in (request_data.parameters if request_data else {}).items()
        }
        if request_data is not None and request_data.multipart_data:
            # An uploaded file: kept as an UploadedFile so tests can open what was sent.
            for name, (filename, content, _mime) in request_data.multipart_data.items():
                params[name] = UploadedFile(filename, bytes(content))
        try:
            result = await self.api.handle(api_method, params)
        except KeyError:
            body = {"ok": False, "error_code": 404, "description": f"Not Found: {api_method}"}
            return 404, json.dumps(body).encode()
        except ApiError as error:
            return int(error.body["error_code"]), json.dumps(error.body).encode()
        return 200, json.dumps({"ok": True, "result": result}).encode()


async def serve(api: FakeBotApi, host: str = "127.0.0.1", port: int = 0) -> Any:
    """Serve `api` over HTTP like api.telegram.org; returns (runner, base URL)."""
    from aiohttp import web

    async def endpoint(request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != TOKEN:
            body = {"ok": False, "error_code": 401, "description": "Unauthorized"}
            return web.json_response(body, status=401)
        if request.content_type == "application/json":
            params = await request.json()
        else:
            params = {
                k: _decode(v) for k, v in (await request.post()).items() if isinstance(v, str)
            }
        try:
            result = await api.handle(method, params)
        except ApiError as error:
            return web.json_response(error.body, status=int(error.body["error_code"]))
        except KeyError:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": f"Not Found: {method}"}, status=404
            )
        return web.json_response({"ok": True, "result": result})

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", endpoint)
    app.router.add_get("/bot{token}/{method}", endpoint)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://{host}:{bound}"


if __name__ == "__main__":  # pragma: no cover - a manual tool

    async def _main() -> None:
        runner, url = await serve(FakeBotApi(), port=8081)
        print(f"Fake Bot API on {url}; token {TOKEN}")
        print(f"Run the bot with CONVENE_TELEGRAM_API_URL={url} TELEGRAM_BOT_TOKEN={TOKEN}")
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    asyncio.run(_main())
