"""What a person's next message answers: one pending input per person.

A feature that asks something the person will type or send (a registration's next step, a
meeting or announcement being written, a comment to an RSVP, a time zone, a profile field,
the answer to a request) records it here; the input router (`handlers/pending.py`) hands
the next message to that feature, and `/cancel` ends it, whatever it is.

Decisions:
- One per person: asking something new replaces what was pending (as a chat does: the
  last question is the one being answered). A meeting or announcement being written is
  lost if its author starts something else that asks for typing; /newmeeting starts over.
- Kept in the database, so a restart loses nothing typed; it expires (a dialog or a
  registration after 7 days untouched, a short question after a day) so that a message
  typed weeks later is not taken as the answer to a forgotten question.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.domain.clock import Clock
from bot.domain.values import parse_id
from storage.db import Database
from storage.tx import Tx


class Feature(StrEnum):
    """Who asked: the feature the next message goes to."""

    REGISTRATION = "registration"
    MEETING = "meeting"
    ANNOUNCEMENT = "announcement"
    REQUEST = "request"  # the text or files answering request `subject`
    RSVP_COMMENT = "rsvp_comment"  # the comment to invitation `subject`
    TIMEZONE = "timezone"
    PROFILE = "profile"  # a new value of profile field `subject`
    FORGET = "forget"  # a /forget waiting for its confirmation, `subject` its stamp


DIALOG_TTL = timedelta(days=7)
QUESTION_TTL = timedelta(days=1)
_TTL = {
    Feature.REGISTRATION: DIALOG_TTL,
    Feature.MEETING: DIALOG_TTL,
    Feature.ANNOUNCEMENT: DIALOG_TTL,
}


@dataclass(frozen=True)
class Pending:
    feature: Feature
    subject: str | None = None
    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def subject_id(self) -> int | None:
        """The subject as a row number (a request, an invitation), None if it is not one."""
        return parse_id(self.subject or "")


def _pending(row: Any, now: datetime) -> Pending | None:
    if row is None or row.expires_at <= now:
        return None
    try:
        feature = Feature(row.feature)
    except ValueError:  # written by a newer version, or unknown to this one
        return None
    return Pending(feature, row.subject, row.step, json.loads(row.data))


class PendingInputs:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def current(self, telegram_user_id: int) -> Pending | None:
        async with self.db.transaction() as tx:
            return await self.current_in(tx, telegram_user_id)

    async def current_in(self, tx: Tx, telegram_user_id: int) -> Pending | None:
        return _pending(await tx.pending.get(telegram_user_id), self.clock.now())

    async def of(self, telegram_user_id: int, feature: Feature) -> Pending | None:
        """The person's pending input if it is this feature's."""
        found = await self.current(telegram_user_id)
        return found if found is not None and found.feature is feature else None

    async def ask(
        self,
        telegram_user_id: int,
        feature: Feature,
        *,
        subject: str | int | None = None,
        step: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        async with self.db.transaction() as tx:
            await self.ask_in(tx, telegram_user_id, feature, subject=subject, step=step, data=data)

    async def ask_in(
        self,
        tx: Tx,
        telegram_user_id: int,
        feature: Feature,
        *,
        subject: str | int | None = None,
        step: str | None = None,
        data: dict[str, Any] | None = None,
        ttl: timedelta | None = None,
    ) -> None:
        """Record, in the caller's transaction, what the person's next message answers;
        `ttl` where the feature's own limit is shorter than its kind's (a /forget)."""
        now = self.clock.now()
        await tx.accounts.ensure(telegram_user_id, None, now)
        await tx.pending.save(
            telegram_user_id,
            feature=feature.value,
            subject=None if subject is None else str(subject),
            step=step,
            data=data or {},
            expires_at=now + (ttl or _TTL.get(feature, QUESTION_TTL)),
            now=now,
        )

    async def clear(self, telegram_user_id: int, feature: Feature | None = None) -> Pending | None:
        """End the person's pending input (only this feature's, when given); what it was."""
        async with self.db.transaction() as tx:
            found = await self.current_in(tx, telegram_user_id)
            if found is not None and feature is not None and found.feature is not feature:
                return None  # another feature's question stays
            # An expired row goes too: it answers nothing any more.
            await tx.pending.delete(telegram_user_id)
            return found

    async def purge_expired(self) -> int:
        async with self.db.transaction() as tx:
            return await tx.pending.purge_expired(self.clock.now())
