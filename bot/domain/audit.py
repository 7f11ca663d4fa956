"""The official record: who did what, when, to what; and every message the bot sent.

Each change writes its entry in the same transaction as the change itself, so the log
never says something happened that did not, or misses something that did. Entries name
people by a pseudonymous reference (storage/schema.py, `audit_people`) and carry ids and
codes only: never names, message bodies or answers. Forgetting a person unlinks their
reference; the log itself is append-only (database triggers refuse UPDATE and DELETE).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.domain.clock import Clock
from bot.domain.models import AuditEntry, DeliveryState
from storage.db import Database
from storage.tx import Tx


class Action(StrEnum):
    INVITE_CREATE = "invite.create"
    INVITE_REVOKE = "invite.revoke"
    MEMBER_REGISTER = "member.register"
    MEMBER_JOIN = "member.join"  # an active member joined more teams through a link
    MEMBER_APPROVE = "member.approve"
    MEMBER_REJECT = "member.reject"
    MEMBER_REVOKE = "member.revoke"
    MEMBER_UNREACHABLE = "member.unreachable"
    MEMBER_REACHABLE = "member.reachable"
    MEMBER_FORGET = "member.forget"
    PROFILE_UPDATE = "profile.update"
    ROLE_GRANT = "role.grant"
    ROLE_WITHDRAW = "role.withdraw"
    TEAM_CREATE = "team.create"
    MEETING_CREATE = "meeting.create"
    MEETING_EDIT = "meeting.edit"
    MEETING_CANCEL = "meeting.cancel"
    NOTICE_CREATE = "notice.create"
    NOTICE_RESEND = "notice.resend"
    RSVP_ANSWER = "rsvp.answer"
    RSVP_COMMENT = "rsvp.comment"
    RSVP_SUBSTITUTE = "rsvp.substitute"
    RSVP_LINK_REQUEST = "rsvp.link_request"
    REQUEST_CREATE = "request.create"
    REQUEST_DEADLINE = "request.deadline"
    REQUEST_CANCEL = "request.cancel"
    REQUEST_MARK = "request.mark"
    REQUEST_ANSWER = "request.answer"
    REQUEST_WITHDRAW = "request.withdraw_documents"
    PLAN_IMPORT = "plan.import"
    EXPORT = "export"
    DELIVERY_SENT = "delivery.sent"
    DELIVERY_FAILED = "delivery.failed"
    DELIVERY_UNREACHABLE = "delivery.unreachable"
    DELIVERY_ACK = "delivery.ack"
    DATA_EXPORT = "data.export"  # a member downloaded what the bot holds about them
    RETENTION_PURGE = "retention.purge"


DELIVERY_ACTIONS = {
    DeliveryState.SENT: Action.DELIVERY_SENT,
    DeliveryState.FAILED: Action.DELIVERY_FAILED,
    DeliveryState.UNREACHABLE: Action.DELIVERY_UNREACHABLE,
}


async def record(
    tx: Tx,
    now: datetime,
    action: Action,
    object_type: str,
    object_id: object = None,
    *,
    actor: int | None = None,
    subject: int | None = None,
    **details: Any,
) -> None:
    """Append one entry. `actor` and `subject` are Telegram user ids (None: the system or
    the command line, for the actor); `details` ids and codes only."""
    actor_ref = None if actor is None else await tx.audit.ref_for(actor, now)
    if subject is None:
        subject_ref = None
    elif subject == actor:  # a member acting on their own behalf: one lookup, not two
        subject_ref = actor_ref
    else:
        subject_ref = await tx.audit.ref_for(subject, now)
    await tx.audit.add(
        at=now,
        action=action.value,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        actor_ref=actor_ref,
        subject_ref=subject_ref,
        details=details,
    )


@dataclass(frozen=True)
class NamedEntry:
    """An entry with its people resolved for a report: a name, a Telegram id, or only the
    reference of someone forgotten."""

    entry: AuditEntry
    actor: str
    subject: str


class AuditLog:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def record(
        self,
        action: Action,
        object_type: str,
        object_id: object = None,
        *,
        actor: int | None = None,
        subject: int | None = None,
        **details: Any,
    ) -> None:
        async with self.db.transaction() as tx:
            await record(
                tx,
                self.clock.now(),
                action,
                object_type,
                object_id,
                actor=actor,
                subject=subject,
                **details,
            )

    async def entries(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[NamedEntry]:
        async with self.db.read() as tx:  # a report: on a reader connection
            found = await tx.audit.entries(start, end, limit=limit, newest_first=newest_first)
            return await _named(tx, found)


async def _named(tx: Tx, entries: list[AuditEntry]) -> list[NamedEntry]:
    refs = {r for e in entries for r in (e.actor_ref, e.subject_ref) if r}
    people = await tx.audit.people(refs)
    names: dict[str, str] = {}
    for ref, user in people.items():
        if user is None:
            names[ref] = ref  # forgotten: the reference is all that is left
            continue
        member = await tx.members.by_telegram_id(user)
        names[ref] = f"{member.full_name} ({ref})" if member else f"Telegram {user} ({ref})"

    def name(ref: str | None, default: str) -> str:
        return names.get(ref, ref) if ref else default

    return [NamedEntry(e, name(e.actor_ref, "system"), name(e.subject_ref, "")) for e in entries]


def audit_sheet(entries: list[NamedEntry], timezone: str) -> dict[str, list[list[Any]]]:
    """One row per entry; the time is a local datetime (a date in the XLSX)."""
    from bot.i18n import zone

    tz = zone(timezone)
    rows: list[list[Any]] = [
        [f"at ({timezone})", "actor", "action", "object", "id", "person concerned", "details"]
    ]
    for named in entries:
        entry = named.entry
        rows.append(
            [
                entry.at.astimezone(tz).replace(microsecond=0),
                named.actor,
                entry.action,
                entry.object_type,
                entry.object_id or "",
                named.subject,
                ", ".join(f"{k}={v}" for k, v in sorted(entry.details.items())),
            ]
        )
    return {"Audit log": rows}
