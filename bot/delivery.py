"""The delivery worker: drains the `deliveries` rows at a paced rate, losing nothing.

The database is the queue. The worker claims one due row at a time (state `sending`),
takes a paced slot from the bulk lane of the rate limiter, sends, and records the
outcome. What can happen to a send:

- accepted: the row is `sent` (or, for a notice of several messages, due again for
  its next part a little over a second later: Telegram allows about one message per
  second in one chat);
- transient failures, which never end a row: 429 (the whole bulk lane waits
  `retry_after`), 5xx, time-outs, network errors, and database errors while rendering
  or recording. The row is due again after a capped back-off, until it is older than the
  give-up age (CONVENE_DELIVERY_GIVE_UP, 24 h by default); only then is it `failed`;
- 403 (blocked by the member) or "chat not found": `unreachable`, and the member too;
- any other 400 (Telegram names the message or the chat as wrong): `failed`, with
  Telegram's reason kept.

While Telegram is unreachable the whole lane pauses instead of burning every row: after
PAUSE_AFTER consecutive network failures the worker stops claiming, probes getMe at
growing intervals (capped at PROBE_CAP), and resumes when Telegram answers.

A send Telegram accepted is recorded, not repeated: when writing the outcome fails, the
write is retried until it succeeds; the row is never released for a second send because
its bookkeeping failed.

A crash leaves the rows in flight in `sending`. On start, a worker on SQLite (one bot
process by design) releases them at once; on PostgreSQL, where several processes may
share the queue, it releases those claimed longer ago than the lease. So nobody is
skipped, and only a send that was in flight can be repeated.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from telegram import Bot, InlineKeyboardMarkup, InputFile, Message
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.domain.audit import DELIVERY_ACTIONS, Action, record
from bot.domain.clock import Clock
from bot.domain.models import Delivery, DeliveryState
from bot.ratelimit import PREPAID, TwoLaneRateLimiter, retry_after_seconds
from storage.db import Database
from storage.tx import Tx

logger = logging.getLogger(__name__)

DEFAULT_GIVE_UP = timedelta(hours=24)
MAX_BACKOFF = timedelta(minutes=5)  # between two tries of one row after transient failures
NEXT_PART_DELAY = timedelta(seconds=1.1)  # one message per second in one chat
CLAIM_LEASE = timedelta(minutes=2)
IDLE_POLL_SECONDS = 1.0  # rows queued by another process (the CLI) are found this fast
RECOVERY_INTERVAL_SECONDS = 30
PAUSE_AFTER = 3  # consecutive network failures that mean "Telegram is unreachable"
PROBE_FIRST = 1.0  # seconds before the first probe of a paused lane, doubled each time…
PROBE_CAP = 30.0  # …up to this
WRITE_RETRY_CAP = 30.0  # seconds between tries of an outcome that could not be written
# Errors of the database or of the connection to it: the row is tried again later. Any
# other exception while rendering is a bug, and ends the row (logged with its traceback).
STORAGE_ERRORS: tuple[type[Exception], ...] = (SQLAlchemyError, OSError, TimeoutError)
PROBE_ERRORS: tuple[type[Exception], ...] = (TelegramError, *STORAGE_ERRORS)


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
        give_up_after: timedelta = DEFAULT_GIVE_UP,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        probe_first: float = PROBE_FIRST,
    ) -> None:
        self.db = db
        self.clock = clock
        self.bot = bot
        self.render = render
        self.limiter = limiter
        self.on_unreachable = on_unreachable
        self.give_up_after = give_up_after
        self.stats = WorkerStats()
        self._sleep = sleep
        self._probe_first = probe_first
        self._slots = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._network_failures = 0  # consecutive, across rows
        self.waiting_since: datetime | None = None  # the lane is paused: Telegram unreachable

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
        claim_failures = 0
        while True:
            if self.waiting_since is not None:
                await self._probe_until_reachable()
                continue
            await self._slots.acquire()
            try:
                delivery = await self._claim()
            except STORAGE_ERRORS as error:
                self._slots.release()
                claim_failures += 1
                # One line when the database goes away, not one every second.
                log = logger.warning if claim_failures == 1 else logger.debug
                log("Could not read the delivery queue (%s); retrying", type(error).__name__)
                await self._sleep(min(IDLE_POLL_SECONDS * claim_failures, WRITE_RETRY_CAP))
                continue
            if claim_failures:
                logger.info("The delivery queue is readable again")
                claim_failures = 0
            if delivery is None:
                self._slots.release()
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), IDLE_POLL_SECONDS)
                loop_time = asyncio.get_running_loop().time()
                if loop_time - last_recovery > RECOVERY_INTERVAL_SECONDS:
                    last_recovery = loop_time
                    with contextlib.suppress(*STORAGE_ERRORS):  # the next claim logs it
                        await self.recover()
                continue
            task = asyncio.create_task(self._send_and_release(delivery))
            self.stats.inflight.add(task)
            task.add_done_callback(self.stats.inflight.discard)

    async def _send_and_release(self, delivery: Delivery) -> None:
        try:
            await self.send(delivery, paced=True)
        except Exception:  # never "Task exception was never retrieved"
            logger.exception("Delivery %s: unexpected error", delivery.id)
        finally:
            self._slots.release()

    async def _claim(self) -> Delivery | None:
        async with self.db.transaction() as tx:
            return await tx.deliveries.claim_next(self.clock.now())

    async def drain(self) -> int:
        """Send everything due now, one by one, unpaced; for tests and the CLI. A claim the
        database refuses is tried again a few times (a dropped connection is replaced)."""
        count = 0
        while True:
            for attempt in range(1, 4):
                try:
                    delivery = await self._claim()
                    break
                except STORAGE_ERRORS:
                    if attempt == 3:
                        raise
                    await self._sleep(IDLE_POLL_SECONDS * attempt)
            if delivery is None:
                return count
            await self.send(delivery)
            count += 1

    # -- the lane while Telegram is unreachable -------------------------------------------

    def _network_failure(self, reason: str) -> None:
        self._network_failures += 1
        if self._network_failures >= PAUSE_AFTER and self.waiting_since is None:
            self.waiting_since = self.clock.now()
            logger.warning(
                "Telegram is unreachable (%s): deliveries paused until it answers again", reason
            )

    def _network_success(self) -> None:
        """Telegram answered (whatever it said): it is reachable."""
        self._network_failures = 0
        if self.waiting_since is not None:
            self._resumed()

    def _resumed(self) -> None:
        since, self.waiting_since = self.waiting_since, None
        waited = (self.clock.now() - since).total_seconds() if since else 0.0
        logger.info("Telegram answers again after %.0f s: deliveries resume", waited)

    async def _probe_until_reachable(self) -> None:
        """Ask Telegram who we are, at growing intervals, until it answers; then resume."""
        interval = self._probe_first
        while True:
            await self._sleep(interval)
            try:
                await self.bot.get_me()
            except PROBE_ERRORS as error:
                logger.debug("Telegram still unreachable (%s)", _reason(error))
                interval = min(interval * 2, PROBE_CAP)
                continue
            break
        self._network_failures = 0
        if self.waiting_since is not None:
            self._resumed()

    # -- one send -----------------------------------------------------------------------

    async def send(self, delivery: Delivery, *, paced: bool = False) -> None:
        """Send the next part of a claimed row and record what happened; `paced`: in a slot
        of the bulk lane, taken after rendering, right before the request leaves, so that
        the time a render takes (a database read) does not bunch the sends that Telegram
        counts (measured: bunched sends of a broadcast with presses met 429s)."""
        try:
            parts = await self.render(delivery)
        except STORAGE_ERRORS as error:
            await self._transient(delivery, f"database: {type(error).__name__}")
            return
        except Exception:
            logger.exception("Could not render delivery %s", delivery.id)
            await self._fail(delivery, "render failed")
            return
        if not parts or delivery.parts_sent >= len(parts):
            # The notice or its recipient is gone (e.g. the member was deleted).
            await self._fail(delivery, "nothing to send")
            return
        part = parts[delivery.parts_sent]
        if paced and self.limiter is not None:
            await self.limiter.bulk_slot()
        if paced and self.waiting_since is not None:
            # Telegram went away while this row waited for its slot: back in the queue,
            # untried, rather than one more send into the outage.
            await self._finish(delivery, state=DeliveryState.PENDING)
            return
        try:
            message = await self._send_part(delivery.chat_id, part)
        except RetryAfter as error:
            seconds = retry_after_seconds(error)
            self.stats.flood_waits += 1
            if self.limiter is not None:
                self.limiter.pause(seconds)
            logger.warning("Telegram asked to wait %.0f s (flood control)", seconds)
            self._network_success()  # Telegram answered
            await self._transient(delivery, "429", delay=timedelta(seconds=seconds))
        except Forbidden:
            self._network_success()
            await self._unreachable(delivery)
        except BadRequest as error:
            self._network_success()
            text = error.message.lower()
            if "chat not found" in text or "user is deactivated" in text:
                await self._unreachable(delivery)
            else:
                await self._fail(delivery, _reason(error))
        except TelegramError as error:
            # TimedOut, network errors, 5xx (PTB raises NetworkError for them) and anything
            # else Telegram did not refuse for good. The message may or may not have gone
            # out, so a retry may repeat it (the "in flight" case).
            self._network_failure(_reason(error))
            await self._transient(delivery, _reason(error))
        except OSError as error:
            # The document to upload cannot be read (PTB wraps network errors as
            # NetworkError above): no retry makes it readable.
            await self._fail(delivery, f"document unreadable: {type(error).__name__}")
        else:
            self._network_success()
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
            values["attempts"] = delivery.attempts + 1  # this one succeeded
        if done:
            values["state"] = DeliveryState.SENT.value
            self.stats.sent += 1
        else:
            values["state"] = DeliveryState.PENDING.value
            values["next_attempt_at"] = now + NEXT_PART_DELAY

        async def write(tx: Tx) -> None:
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

        await self._write(delivery, write)

    async def _transient(
        self, delivery: Delivery, reason: str, *, delay: timedelta | None = None
    ) -> None:
        """Due again after a capped back-off, unless the row is past the give-up age."""
        now = self.clock.now()
        queued = delivery.requeued_at or delivery.created_at or now
        if now - queued >= self.give_up_after:
            hours = self.give_up_after.total_seconds() / 3600
            await self._fail(delivery, f"gave up after {hours:g} h: {reason}")
            return
        if delay is None:
            delay = min(MAX_BACKOFF, timedelta(seconds=2 ** min(delivery.attempts + 1, 16)))
        self.stats.retried += 1
        logger.debug(
            "Delivery %s of notice %s: %s; trying again in %.0f s",
            delivery.id,
            delivery.notice_id,
            reason,
            delay.total_seconds(),
        )
        await self._finish(
            delivery,
            state=DeliveryState.PENDING,
            attempts=delivery.attempts + 1,
            next_attempt_at=now + delay,
            last_error=reason[:200],
        )

    async def _fail(self, delivery: Delivery, reason: str) -> None:
        self.stats.failed += 1
        logger.warning(
            "Delivery %s of notice %s failed for good: %s",
            delivery.id,
            delivery.notice_id,
            reason,
        )
        await self._finish(
            delivery,
            state=DeliveryState.FAILED,
            attempts=delivery.attempts + 1,
            last_error=reason[:200],
        )

    async def _unreachable(self, delivery: Delivery) -> None:
        self.stats.unreachable += 1
        logger.debug("Delivery %s: the recipient blocked the bot", delivery.id)
        await self._finish(delivery, state=DeliveryState.UNREACHABLE, last_error="blocked")
        if self.on_unreachable is not None:
            with contextlib.suppress(*STORAGE_ERRORS):  # the row's state is what counts
                await self.on_unreachable(delivery.telegram_user_id)

    async def _finish(self, delivery: Delivery, *, state: DeliveryState, **values: Any) -> None:
        async def write(tx: Tx) -> None:
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

        await self._write(delivery, write)

    async def _write(self, delivery: Delivery, write: Callable[[Tx], Awaitable[None]]) -> None:
        """Record an outcome, trying again while the database refuses: a row is never
        released for a second send because its bookkeeping failed. If the process stops
        first, the row stays `sending` and is released at the next start (in flight)."""
        wait = 0.5
        failures = 0
        while True:
            try:
                async with self.db.transaction() as tx:
                    await write(tx)
            except STORAGE_ERRORS as error:
                failures += 1
                log = logger.warning if failures == 1 else logger.debug
                log(
                    "Could not record the outcome of delivery %s (%s); trying again",
                    delivery.id,
                    type(error).__name__,
                )
                await self._sleep(wait)
                wait = min(wait * 2, WRITE_RETRY_CAP)
                continue
            if failures:
                logger.info("Recorded the outcome of delivery %s", delivery.id)
            return


def _reason(error: BaseException) -> str:
    """What went wrong, in Telegram's words where it gave some; never message content."""
    if isinstance(error, TelegramError):
        return error.message[:200] or type(error).__name__
    return type(error).__name__
