"""Self-check of the limited Bot API: does it refuse what Telegram would refuse?

Why: a benchmark is only as good as its fake. This script starts the server in process on
loopback and checks, with an ordinary HTTP client and with python-telegram-bot itself, that
- 100 simultaneous messages to 100 chats: exactly 30 accepted, 70 answered 429;
- 5 quick messages to one chat: 3 accepted (the burst), then 429 with retry_after;
- the per-chat bucket refills at one message per second;
- non-message methods are not limited, unknown methods get 404;
- messages Telegram cannot accept (bad HTML, too long, bad button data) get 400 and use
  no slot of the window;
- form and multipart (file upload) requests are understood;
- PTB reads the 429 as RetryAfter.

Run: .venv/bin/python -m bench.selfcheck_limited_api  (exit status 1 on any failure)
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import aiohttp

from bench.limited_bot_api import TOKEN, LimitedBotApi, serve
from bench.stats import summarize

FAILURES: list[str] = []


def check(condition: bool, what: str) -> None:
    print(f"  {'ok  ' if condition else 'FAIL'} {what}")
    if not condition:
        FAILURES.append(what)


async def call(
    session: aiohttp.ClientSession, url: str, method: str, **params: Any
) -> tuple[int, dict[str, Any]]:
    async with session.post(f"{url}/bot{TOKEN}/{method}", json=params) as response:
        return response.status, await response.json()


async def burst_to_distinct_chats(session: aiohttp.ClientSession, url: str) -> None:
    print("100 simultaneous sendMessage to 100 chats")
    results = await asyncio.gather(
        *(call(session, url, "sendMessage", chat_id=1 + i, text=f"hi {i}") for i in range(100))
    )
    statuses = [status for status, _ in results]
    print(f"  200: {statuses.count(200)}  429: {statuses.count(429)}")
    check(statuses.count(200) == 30, "exactly 30 accepted")
    check(statuses.count(429) == 70, "the other 70 answered 429")
    refused = [body for status, body in results if status == 429]
    check(
        all(body["parameters"]["retry_after"] == 1 for body in refused),
        "retry_after is 1 for the overall window",
    )
    status, _ = await call(session, url, "answerCallbackQuery", callback_query_id="1")
    check(status == 200, "answerCallbackQuery is not limited while the window is full")
    status, body = await call(session, url, "noSuchMethod")
    check(status == 404 and body["error_code"] == 404, "unknown method answers 404")

    async with session.get(f"{url}/stats") as response:
        stats = await response.json()
    check(len(stats["accepted"]) == 30, "/stats lists the 30 accepted")
    check(stats["rejected_429"] == 70, "/stats counts the 70 refusals")
    check(stats["requests"].get("sendMessage") == 100, "/stats counts all 100 requests")
    summary = summarize(stats["accepted"], range(1, 101))
    check(len(summary["lost"]) == 70, "summarize: 70 chats lost")
    check(summary["max_in_any_1s_window"] == 30, "summarize: 30 in the busiest second")


async def burst_to_one_chat(session: aiohttp.ClientSession, url: str) -> None:
    print("5 quick sendMessage to one chat")
    async with session.post(f"{url}/reset") as response:
        check(response.status == 200, "POST /reset")
    results = [await call(session, url, "sendMessage", chat_id=42, text="x") for _ in range(5)]
    statuses = [status for status, _ in results]
    print(f"  statuses: {statuses}")
    check(statuses == [200, 200, 200, 429, 429], "3 accepted (the burst), then 429")
    retry = results[3][1].get("parameters", {}).get("retry_after")
    check(isinstance(retry, int) and retry >= 1, f"retry_after is an int >= 1 ({retry})")

    await asyncio.sleep(1.05)
    first, _ = await call(session, url, "sendMessage", chat_id=42, text="x")
    second, _ = await call(session, url, "sendMessage", chat_id=42, text="x")
    check((first, second) == (200, 429), "after 1 s one token is back, not two")


async def encodings(session: aiohttp.ClientSession, url: str, api: LimitedBotApi) -> None:
    print("form and multipart requests")
    api.reset()
    form = {"chat_id": "7", "text": "form", "reply_markup": '{"inline_keyboard": []}'}
    async with session.post(f"{url}/bot{TOKEN}/sendMessage", data=form) as response:
        body = await response.json()
    check(response.status == 200 and body["result"]["chat"]["id"] == 7, "url-encoded form")
    check(body["result"].get("reply_markup") == {"inline_keyboard": []}, "JSON string decoded")

    data = aiohttp.FormData()
    data.add_field("chat_id", "8")
    data.add_field("caption", "the agenda")
    data.add_field("document", b"%PDF-1.4", filename="agenda.pdf")
    async with session.post(f"{url}/bot{TOKEN}/sendDocument", data=data) as response:
        body = await response.json()
    check(response.status == 200 and "document" in body["result"], "multipart sendDocument")
    check(api.accepted[-1][1:] == ("sendDocument", 8, "the agenda"), "caption recorded")


async def malformed(session: aiohttp.ClientSession, url: str, api: LimitedBotApi) -> None:
    print("messages Telegram cannot accept")
    api.reset()
    html = {"chat_id": 11, "parse_mode": "HTML"}
    status, body = await call(session, url, "sendMessage", text="Bosnia & Herzegovina", **html)
    check(
        status == 400 and body["description"].startswith("Bad Request: can't parse entities"),
        "unescaped & with parse mode HTML: 400 can't parse entities",
    )
    status, _ = await call(session, url, "sendMessage", text="<b>Bosnia &amp; H.</b>", **html)
    check(status == 200, "escaped: accepted")
    status, body = await call(session, url, "sendMessage", chat_id=12, text="x" * 4097)
    check(status == 400 and body["description"] == "Bad Request: message is too long", "4,097")
    markup = {"inline_keyboard": [[{"text": "Yes", "callback_data": "y" * 65}]]}
    status, body = await call(
        session, url, "sendMessage", chat_id=13, text="x", reply_markup=markup
    )
    check(
        status == 400 and body["description"] == "Bad Request: BUTTON_DATA_INVALID",
        "65 bytes of callback data",
    )
    check(len(api.accepted) == 1, "refused messages use no slot and are not recorded")
    check(sum(api.stats()["rejected_400"].values()) == 3, "/stats counts the three 400s")


async def with_ptb(url: str) -> None:
    print("python-telegram-bot against the server")
    from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
    from telegram.error import RetryAfter

    bot = Bot(TOKEN, base_url=f"{url}/bot")
    async with bot:
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="y")]])
        message = await bot.send_message(9, "hello", reply_markup=markup)
        check(message.chat_id == 9 and message.text == "hello", "send_message")
        document = await bot.send_document(9, b"data", filename="a.txt", caption="file")
        check(document.document is not None, "send_document (multipart)")
        edited = await bot.edit_message_text("bye", chat_id=9, message_id=message.message_id)
        check(edited.message_id == message.message_id, "edit_message_text keeps the id")
        try:
            await bot.send_message(9, "one too many")
        except RetryAfter as error:
            # An int, or a timedelta when PTB_TIMEDELTA is set (PTB 22 is migrating).
            wait = error.retry_after
            seconds = wait if isinstance(wait, int) else wait.total_seconds()
            check(seconds >= 1, "RetryAfter raised by PTB")
        else:
            check(False, "RetryAfter raised by PTB")


async def main() -> int:
    api = LimitedBotApi()
    runner, url = await serve(api)
    print(f"serving on {url}")
    try:
        async with aiohttp.ClientSession() as session:
            await burst_to_distinct_chats(session, url)
            await burst_to_one_chat(session, url)
            await encodings(session, url, api)
            await malformed(session, url, api)
        api.reset()
        await with_ptb(url)
    finally:
        await runner.cleanup()
    print("all checks passed" if not FAILURES else f"{len(FAILURES)} check(s) failed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
