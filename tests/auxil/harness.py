"""Drive the real Application with hand-built updates and a recording Bot API."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.app import build_application
from bot.config import Settings
from bot.domain.clock import FakeClock
from bot.services import Services
from tests.auxil.fake_bot_api import FakeBotApi, RecordingRequest


@dataclass(frozen=True)
class Person:
    id: int
    first_name: str
    last_name: str | None = None
    language_code: str | None = "en"

    def as_user(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def as_chat(self) -> dict[str, Any]:
        return {"id": self.id, "type": "private", "first_name": self.first_name}


_update_ids = itertools.count(1)
_message_ids = itertools.count(1)


def message_update(person: Person, text: str, update_id: int | None = None) -> dict[str, Any]:
    entities = []
    if text.startswith("/"):
        entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    message: dict[str, Any] = {
        "message_id": next(_message_ids),
        "date": int(time.time()),
        "chat": person.as_chat(),
        "from": person.as_user(),
        "text": text,
    }
    if entities:
        message["entities"] = entities
    return {"update_id": update_id or next(_update_ids), "message": message}


def document_update(
    person: Person,
    file_id: str,
    file_name: str,
    *,
    reply_to: dict[str, Any] | None = None,
    size: int = 1234,
) -> dict[str, Any]:
    """A file sent by `person`; `reply_to` is the message it replies to (a bot's card)."""
    message: dict[str, Any] = {
        "message_id": next(_message_ids),
        "date": int(time.time()),
        "chat": person.as_chat(),
        "from": person.as_user(),
        "document": {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id}",
            "file_name": file_name,
            "mime_type": "application/pdf",
            "file_size": size,
        },
    }
    if reply_to is not None:
        message["reply_to_message"] = reply_to
    return {"update_id": next(_update_ids), "message": message}


def reply_update(person: Person, text: str, reply_to: dict[str, Any]) -> dict[str, Any]:
    update = message_update(person, text)
    update["message"]["reply_to_message"] = reply_to
    return update


def callback_update(
    person: Person, data: str, message_id: int = 1, chat_id: int | None = None
) -> dict[str, Any]:
    return {
        "update_id": next(_update_ids),
        "callback_query": {
            "id": str(next(_update_ids)),
            "from": person.as_user(),
            "chat_instance": "1",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id or person.id, "type": "private"},
                "text": "…",
            },
        },
    }


class Harness:
    """One bot 'process': build, start, feed updates, stop. Restart with a new Harness."""

    def __init__(self, settings: Settings, clock: FakeClock, api: FakeBotApi | None = None) -> None:
        self.settings = settings
        self.clock = clock
        self.api = api or FakeBotApi()
        self.app: Application | None = None  # type: ignore[type-arg]

    @property
    def services(self) -> Services:
        assert self.app is not None
        return self.app.bot_data.services

    async def start(self) -> Harness:
        request = RecordingRequest(self.api)
        self.app = build_application(
            self.settings,
            clock=self.clock,
            request=request,
            updates_request=request,
            start_worker=False,
            share_budget=False,
        )
        await self.app.initialize()
        if self.app.post_init:
            await self.app.post_init(self.app)
        return self

    async def stop(self) -> None:
        assert self.app is not None
        await self.app.shutdown()
        if self.app.post_shutdown:
            await self.app.post_shutdown(self.app)

    @property
    def worker(self) -> Any:
        assert self.app is not None
        return self.app.bot_data.worker

    async def deliver(self) -> int:
        """Run the delivery worker until nothing is due, then update the progress messages.

        Parts due later (a notice's second message, a retry) are made due by moving the
        fake clock, as time would."""
        total = 0
        for _ in range(20):
            sent = await self.worker.drain()
            total += sent
            async with self.services.db.transaction() as tx:
                due = await tx.deliveries.next_due_at()
            if due is None:
                break
            if due > self.clock.now():
                self.clock.set(due)
        assert self.app is not None
        await self.app.bot_data.progress.tick()
        return total

    async def feed(self, raw: dict[str, Any]) -> list[Any]:
        """Process one update; return the Bot API calls it caused."""
        assert self.app is not None
        before = len(self.api.calls)
        await self.app.process_update(Update.de_json(raw, self.app.bot))
        return self.api.calls[before:]

    async def say(self, person: Person, text: str) -> list[Any]:
        return await self.feed(message_update(person, text))

    async def press(self, person: Person, data: str, message_id: int = 1) -> list[Any]:
        return await self.feed(callback_update(person, data, message_id))

    def replies(self, person: Person) -> list[str]:
        return [call.text for call in self.api.sent(person.id)]

    def last_text(self, person: Person) -> str:
        return self.api.last(person.id).text

    def last_buttons(self, person: Person) -> list[tuple[str, str]]:
        return self.api.last(person.id).buttons

    def alerts(self) -> list[str]:
        return [str(c.params.get("text", "")) for c in self.api.of("answerCallbackQuery")]
