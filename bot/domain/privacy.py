"""Data protection: a member's copy of their data, forgetting them, and retention.

Forgetting deletes the person's personal data (account, member record, roles, their
invitations and own answers, the messages and reminders addressed to them) and unlinks
their reference in the audit log, which stays as it was: it never held their name or
their answers, only the reference. Answers they gave for their country or team stay with
the country or team, without their name.

Retention, run daily by a job: members whose access was withdrawn more than
CONVENE_RETAIN_REVOKED ago are forgotten; answers older than CONVENE_RETAIN_ANSWERS are
purged (see storage/privacy.py for what that removes). The privacy notice states both.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from bot.domain.audit import Action, record
from bot.domain.clock import Clock
from bot.domain.pending import Feature, Pending, PendingInputs
from storage.db import Database

logger = logging.getLogger(__name__)


# A /forget is confirmed within this time, by the button of that very /forget.
FORGET_CONFIRMATION = timedelta(minutes=15)


class ForgetOutcome(StrEnum):
    DELETED = "deleted"
    NOTHING_HELD = "nothing_held"
    NOT_ASKED = "not_asked"  # no /forget waits for this confirmation (or it is too old)


@dataclass(frozen=True)
class PurgeReport:
    members: int
    invitations: int
    answers: int


async def _remove(paths: list[str]) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            await asyncio.to_thread(os.remove, path)


class Privacy:
    def __init__(
        self, db: Database, clock: Clock, retain_revoked: timedelta, retain_answers: timedelta
    ) -> None:
        self.db = db
        self.clock = clock
        self.retain_revoked = retain_revoked
        self.retain_answers = retain_answers
        self.pending = PendingInputs(db, clock)  # a /forget waits for its confirmation

    async def my_data(self, telegram_user_id: int) -> dict[str, Any]:
        """Everything held about the person, for /mydata; the request itself is recorded."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            found: dict[str, Any] = {
                "generated_at": now.isoformat(),
                "telegram_user_id": telegram_user_id,
                **await tx.privacy.snapshot(telegram_user_id),
            }
            ref = await tx.audit.find_ref(telegram_user_id)
            found["record_reference"] = ref
            found["record"] = (
                [
                    {
                        "at": e.at.isoformat(),
                        "action": e.action,
                        "object": e.object_type,
                        "id": e.object_id,
                        "by_you": e.actor_ref == ref,
                        "details": e.details,
                    }
                    for e in await tx.audit.entries(person_ref=ref)
                ]
                if ref
                else []
            )
            await record(
                tx,
                now,
                Action.DATA_EXPORT,
                "person",
                None,
                actor=telegram_user_id,
                subject=telegram_user_id,
            )
        return found

    async def ask_to_forget(self, telegram_user_id: int) -> int | None:
        """A /forget: remember that it waits for confirmation, and return the stamp its
        button must carry; None if nothing is held about the person."""
        now = self.clock.now()
        stamp = int(now.timestamp())
        async with self.db.transaction() as tx:
            account = await tx.accounts.get(telegram_user_id)
            if account is None:
                return None
            await self.pending.ask_in(
                tx, telegram_user_id, Feature.FORGET, subject=stamp, ttl=FORGET_CONFIRMATION
            )
        return stamp

    async def confirm_forget(self, telegram_user_id: int, stamp: int | None) -> ForgetOutcome:
        """The "yes" of the /forget that returned `stamp`: erase the person. A button of an
        older /forget, of one already answered, or without a stamp deletes nothing."""
        async with self.db.transaction() as tx:
            account = await tx.accounts.get(telegram_user_id)
            if account is None:
                return ForgetOutcome.NOTHING_HELD
            # The confirmation expires with the pending input (FORGET_CONFIRMATION).
            pending = await self.pending.current_in(tx, telegram_user_id)
            asked = Pending(Feature.FORGET, str(stamp)) == pending and stamp is not None
            if not asked:
                return ForgetOutcome.NOT_ASKED
        deleted = await self.forget(telegram_user_id, requested_by=telegram_user_id)
        return ForgetOutcome.DELETED if deleted else ForgetOutcome.NOTHING_HELD

    async def keep(self, telegram_user_id: int) -> None:
        """The "no" of a /forget: it no longer waits for confirmation."""
        await self.pending.clear(telegram_user_id, Feature.FORGET)

    async def forget(self, telegram_user_id: int, *, requested_by: int | None) -> bool:
        """Erase the person; False if nothing was held about them."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            account = await tx.accounts.get(telegram_user_id)
            member = await tx.members.by_telegram_id(telegram_user_id)
            if account is None and member is None:
                return False
            await record(
                tx,
                now,
                Action.MEMBER_FORGET,
                "person",
                None,
                actor=requested_by,
                subject=telegram_user_id,
                reason="request" if requested_by == telegram_user_id else "retention",
            )
            paths = await tx.privacy.erase(telegram_user_id)
            await tx.audit.forget(telegram_user_id, now)
        await _remove(paths)
        return True

    async def purge(self) -> PurgeReport:
        now = self.clock.now()
        async with self.db.transaction() as tx:
            revoked = await tx.privacy.revoked_before(now - self.retain_revoked)
        forgotten = 0
        for user in revoked:
            forgotten += await self.forget(user, requested_by=None)
        async with self.db.transaction() as tx:
            invitations, answers, paths = await tx.privacy.purge_answers(
                now - self.retain_answers, now
            )
            # Questions nobody answered in time hold what was typed so far: not kept either.
            await tx.pending.purge_expired(now)
            if forgotten or invitations or answers:
                await record(
                    tx,
                    now,
                    Action.RETENTION_PURGE,
                    "retention",
                    None,
                    members=forgotten,
                    invitations=invitations,
                    answers=answers,
                )
        await _remove(paths)
        if forgotten or invitations or answers:
            logger.info(
                "Retention: %s members forgotten, %s invitations and %s answers purged",
                forgotten,
                invitations,
                answers,
            )
        return PurgeReport(forgotten, invitations, answers)
