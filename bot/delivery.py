"""The delivery worker: drains the `deliveries` rows at a paced rate, losing nothing.

The database is the queue. The worker claims one due row at a time (state `sending`),
takes a paced slot from the bulk lane of the rate limiter, sends, and records the
outcome. What can happen to a send:

- accepted: the row is `sent` (or, for a notice of several messages, due again for
  its next part a little over a second later: Telegram allows about one message per
  second in one chat);
- 429: the whole bulk lane waits `retry_after`, and the row is due again after it;
- 5xx, time-outs, network errors: retried with a growing delay, at most MAX_ATTEMPTS;
- 403 (blocked by the member) or "chat not found": `unreachable`, and the member too;
- any other refusal (a bad request): `failed`, with the error kept.

A crash leaves the rows in flight in `sending`. On start, a worker on SQLite (one bot
process by design) releases them at once; on PostgreSQL, where several processes may
share the queue, it releases those claimed longer ago than the lease. So nobody is
skipped, and only a send that was in flight can be repeated.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, InputFile, Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.domain.audit import DELIVERY_ACTIONS, Action, record
from bot.domain.clock import Clock
from bot.domain.models import Delivery, DeliveryState
from bot.ratelimit import PREPAID, TwoLaneRateLimiter
from storage.db import Database

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5  # for 5xx and network errors
MAX_FLOOD_WAITS = 20  # 429s one row may meet before it is given up as failed
NEXT_PART_DELAY = timedelta(seconds=1.1)  # one message per second in one chat
CLAIM_LEASE = timedelta(minutes=2)
IDLE_POLL_SECONDS = 1.0  # rows queued by another process (the CLI) are found this fast
RECOVERY_INTERVAL_SECONDS = 30


@dataclass(frozen=True)
class TextPart:
    text: str
    markup: InlineKeyboardMarkup | None = None
    protect: bool = False  # a restricted notice: no forwarding or saving


@dataclass(frozen=True)
class DocumentPart:
    filename: str
    content: bytes | None = None  # generated per recipient (a calendar file)
    file_id: str | None = None  # already on Telegram's servers
    path: str | None = None  # uploaded once, then sent by file_id
    caption: str | None = None
    notice_id: int | None = None  # where to remember the file_id after the first upload
    protect: bool = False


Part = TextPart | DocumentPart
Renderer = Callable[[Delivery], Awaitable[list[Part] | None]]


@dataclass
class WorkerStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    unreachable: int = 0
    flood_waits: int = 0
    inflight: set[asyncio.Task[None]] = field(default_factory=set)


class DeliveryWorker:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        bot: Bot,
        render: Renderer,
        limiter: TwoLaneRateLimiter | None,
        *,
        on_unreachable: Callable[[int], Awaitable[object]] | None = None,
        concurrency: int = 16,
    ) -> None:
        self.db = db
        self.clock = clock
        self.bot = bot
        self.render = render
        self.limiter = limiter
        self.on_unreachable = on_unreachable
        self.stats = WorkerStats()
        self._slots = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # -- running ------------------------------------------------------------------------

    async def recover(self, *, at_start: bool = False) -> int:
        """Release the rows a dead worker (or a send that crashed) left in `sending`.

        At start on SQLite (one bot process by design) every such row is released: it was in
        flight when the process stopped. Otherwise only claims older than the lease are, as
        another process may be sending them right now.
        """
        now = self.clock.now()
        cutoff = now + timedelta(seconds=1) if at_start and self.db.is_sqlite else now - CLAIM_LEASE
        async with self.db.transaction() as tx:
            released = await tx.deliveries.release_claims(cutoff)
        if released:
            logger.warning("Released %s deliveries left in flight", released)
        return released

    async def start(self) -> None:
        await self.recover(at_start=True)
        self._task = asyncio.create_task(self._run(), name="delivery-worker")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.stats.inflight:
            # Let the sends in flight record their outcome; what does not finish stays
            # `sending` and is released on the next start.
            await asyncio.wait(self.stats.inflight, timeout=10)

    def wake(self) -> None:
        """New rows were queued by this process: do not wait for the next poll."""
        self._wake.set()

    async def _run(self) -> None:
        last_recovery = asyncio.get_running_loop().time()
        while True:
            await self._slots.acquire()
            try:
                delivery = await self._claim()
            except Exception:
                self._slots.release()
                logger.exception("Could not read the delivery queue; retrying")
                await asyncio.sleep(IDLE_POLL_SECONDS)
                continue
            if delivery is None:
                self._slots.release()
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), IDLE_POLL_SECONDS)
                loop_time = asyncio.get_running_loop().time()
                if loop_time - last_recovery > RECOVERY_INTERVAL_SECONDS:
                    last_recovery = loop_time
                    with contextlib.suppress(Exception):  # logged by the next claim if lasting
                        await self.recover()
                continue
            if self.limiter is not None:
                await self.limiter.bulk_slot()
            task = asyncio.create_task(self._send_and_release(delivery))
            self.stats.inflight.add(task)
            task.add_done_callback(self.stats.inflight.discard)

    async def _send_and_release(self, delivery: Delivery) -> None:
        try:
            await self.send(delivery)
        finally:
            self._slots.release()

    async def _claim(self) -> Delivery | None:
        async with self.db.transaction() as tx:
            return await tx.deliveries.claim_next(self.clock.now())

    async def drain(self) -> int:
        """Send everything due now, one by one, unpaced; for tests and the CLI."""
        count = 0
        while (delivery := await self._claim()) is not None:
            await self.send(delivery)
            count += 1
        return count

    # -- one send -----------------------------------------------------------------------

    async def send(self, delivery: Delivery) -> None:
        """Send the next part of a claimed row and record what happened."""
        try:
            parts = await self.render(delivery)
        except Exception:
            logger.exception("Could not render delivery %s", delivery.id)
            await self._finish(delivery, state=DeliveryState.FAILED, last_error="render failed")
            return
        if not parts or delivery.parts_sent >= len(parts):
            # The notice or its recipient is gone (e.g. the member was deleted).
            await self._finish(delivery, state=DeliveryState.FAILED, last_error="nothing to send")
            return
        part = parts[delivery.parts_sent]
        try:
            message = await self._send_part(delivery.chat_id, part)
        except RetryAfter as error:
            seconds = _retry_after(error)
            self.stats.flood_waits += 1
            if self.limiter is not None:
                self.limiter.pause(seconds)
            logger.warning("Telegram asked to wait %.0f s (flood control)", seconds)
            if delivery.attempts + 1 >= MAX_FLOOD_WAITS:
                await self._finish(delivery, state=DeliveryState.FAILED, last_error="429")
                return
            await self._retry(delivery, timedelta(seconds=seconds), "429", count=True)
        except Forbidden:
            await self._unreachable(delivery)
        except BadRequest as error:
            if "chat not found" in error.message.lower() or "user is deactivated" in (
                error.message.lower()
            ):
                await self._unreachable(delivery)
            else:
                self.stats.failed += 1
                logger.warning("Delivery %s refused: %s", delivery.id, error.message)
                await self._finish(
                    delivery, state=DeliveryState.FAILED, last_error=error.message[:200]
                )
        except (NetworkError, TelegramError) as error:
            # TimedOut and 5xx answers arrive as NetworkError: the message may or may not
            # have gone out, so a retry may repeat it (the "in flight" case).
            if delivery.attempts + 1 >= MAX_ATTEMPTS:
                self.stats.failed += 1
                await self._finish(
                    delivery,
                    state=DeliveryState.FAILED,
                    attempts=delivery.attempts + 1,
                    last_error=str(error)[:200],
                )
            else:
                delay = timedelta(seconds=min(300, 2 ** (delivery.attempts + 1)))
                await self._retry(delivery, delay, str(error)[:200], count=True)
        else:
            await self._delivered(
                delivery, part, message, done=delivery.parts_sent + 1 >= len(parts)
            )

    async def _send_part(self, chat_id: int, part: Part) -> Message:
        common: dict[str, Any] = {
            "rate_limit_args": PREPAID if self.limiter else None,
            "protect_content": part.protect or None,
        }
        if isinstance(part, TextPart):
            return await self.bot.send_message(
                chat_id, part.text, reply_markup=part.markup, **common
            )
        if part.file_id:
            document: Any = part.file_id
        elif part.content is not None:
            document = InputFile(part.content, filename=part.filename)
        else:
            assert part.path is not None
            content = await asyncio.to_thread(Path(part.path).read_bytes)
            document = InputFile(content, filename=part.filename)
        return await self.bot.send_document(chat_id, document, caption=part.caption, **common)

    async def _delivered(
        self, delivery: Delivery, part: Part, message: Message, done: bool
    ) -> None:
        now = self.clock.now()
        values: dict[str, Any] = {"parts_sent": delivery.parts_sent + 1, "last_error": None}
        if delivery.parts_sent == 0:
            values["message_id"] = message.message_id
            values["sent_at"] = now
        if done:
            values["state"] = DeliveryState.SENT.value
            self.stats.sent += 1
        else:
            values["state"] = DeliveryState.PENDING.value
            values["next_attempt_at"] = now + NEXT_PART_DELAY
        async with self.db.transaction() as tx:
            await tx.deliveries.finish(delivery.id, **values)
            if delivery.parts_sent == 0:
                # The record of who was told what and when: Telegram accepted the message.
                await record(
                    tx,
                    now,
                    Action.DELIVERY_SENT,
                    "notice",
                    delivery.notice_id,
                    subject=delivery.telegram_user_id,
                    delivery=delivery.id,
                    message_id=message.message_id,
                    attempts=delivery.attempts + 1,
                )
            if (
                isinstance(part, DocumentPart)
                and part.notice_id is not None
                and part.file_id is None
                and part.path is not None
                and message.document is not None
            ):
                await tx.notices.update(part.notice_id, document_file_id=message.document.file_id)

    async def _retry(
        self, delivery: Delivery, delay: timedelta, error: str, *, count: bool
    ) -> None:
        self.stats.retried += 1
        await self._finish(
            delivery,
            state=DeliveryState.PENDING,
            attempts=delivery.attempts + (1 if count else 0),
            next_attempt_at=self.clock.now() + delay,
            last_error=error,
        )

    async def _unreachable(self, delivery: Delivery) -> None:
        self.stats.unreachable += 1
        logger.debug("Recipient %s is unreachable (blocked the bot)", delivery.telegram_user_id)
        await self._finish(delivery, state=DeliveryState.UNREACHABLE, last_error="blocked")
        if self.on_unreachable is not None:
            await self.on_unreachable(delivery.telegram_user_id)

    async def _finish(self, delivery: Delivery, *, state: DeliveryState, **values: Any) -> None:
        async with self.db.transaction() as tx:
            await tx.deliveries.finish(delivery.id, state=state.value, **values)
            if state in (DeliveryState.FAILED, DeliveryState.UNREACHABLE):
                await record(
                    tx,
                    self.clock.now(),
                    DELIVERY_ACTIONS[state],
                    "notice",
                    delivery.notice_id,
                    subject=delivery.telegram_user_id,
                    delivery=delivery.id,
                    error=values.get("last_error"),
                )


def _retry_after(error: RetryAfter) -> float:
    # PTB 22 warns that retry_after will become a timedelta; accept both, quietly.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value: object = error.retry_after
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)  # type: ignore[arg-type]
