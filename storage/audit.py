"""The audit log's repository: append and read, nothing else (see storage/schema.py)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from bot.domain.models import AuditEntry
from storage.rows import Repo, chunks, insert_ignore
from storage.schema import audit_log, audit_people, deliveries

_REF_QUERY = sa.select(audit_people.c.ref).where(
    audit_people.c.telegram_user_id == sa.bindparam("user")
)


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        at=row.at,
        actor_ref=row.actor_ref,
        action=row.action,
        object_type=row.object_type,
        object_id=row.object_id,
        subject_ref=row.subject_ref,
        details=json.loads(row.details),
    )


class AuditRepo(Repo):
    async def ref_for(self, telegram_user_id: int, now: datetime) -> str:
        """The person's reference in the log, made on first use."""
        found = (await self.c.execute(_REF_QUERY, {"user": telegram_user_id})).scalar()
        if found is not None:
            return str(found)
        await self.c.execute(
            insert_ignore(self.c, audit_people).values(
                ref="P-" + secrets.token_hex(6), telegram_user_id=telegram_user_id, created_at=now
            )
        )
        return str((await self.c.execute(_REF_QUERY, {"user": telegram_user_id})).scalar_one())

    async def refs_of_notice(self, notice_id: int) -> dict[int, str]:
        """The log's reference of each of a notice's recipients who has one: one query."""
        recipients = sa.select(deliveries.c.telegram_user_id).where(
            deliveries.c.notice_id == notice_id
        )
        rows = await self.c.execute(
            sa.select(audit_people.c.telegram_user_id, audit_people.c.ref).where(
                audit_people.c.telegram_user_id.in_(recipients)
            )
        )
        return {user: str(ref) for user, ref in rows}

    async def find_ref(self, telegram_user_id: int) -> str | None:
        found = (await self.c.execute(_REF_QUERY, {"user": telegram_user_id})).scalar()
        return None if found is None else str(found)

    async def add(
        self,
        *,
        at: datetime,
        action: str,
        object_type: str,
        object_id: str | None,
        actor_ref: str | None,
        subject_ref: str | None,
        details: dict[str, Any],
    ) -> None:
        await self.c.execute(
            sa.insert(audit_log).values(
                at=at,
                action=action,
                object_type=object_type,
                object_id=object_id,
                actor_ref=actor_ref,
                subject_ref=subject_ref,
                details=json.dumps(details, sort_keys=True, default=str),
            )
        )

    async def entries(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        object_type: str | None = None,
        object_id: str | None = None,
        person_ref: str | None = None,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[AuditEntry]:
        query = sa.select(audit_log)
        if start is not None:
            query = query.where(audit_log.c.at >= start)
        if end is not None:
            query = query.where(audit_log.c.at < end)
        if object_type is not None:
            query = query.where(audit_log.c.object_type == object_type)
        if object_id is not None:
            query = query.where(audit_log.c.object_id == object_id)
        if person_ref is not None:
            query = query.where(
                sa.or_(audit_log.c.actor_ref == person_ref, audit_log.c.subject_ref == person_ref)
            )
        order = audit_log.c.id.desc() if newest_first else audit_log.c.id
        query = query.order_by(order)
        if limit is not None:
            query = query.limit(limit)
        return [_entry(row) for row in await self.c.execute(query)]

    async def people(self, refs: Iterable[str]) -> dict[str, int | None]:
        """Each reference's Telegram id (None once the person was forgotten)."""
        found: dict[str, int | None] = {}
        for chunk in chunks(list(dict.fromkeys(refs))):
            rows = await self.c.execute(
                sa.select(audit_people.c.ref, audit_people.c.telegram_user_id).where(
                    audit_people.c.ref.in_(list(chunk))
                )
            )
            found.update({ref: user for ref, user in rows})
        return found

    async def forget(self, telegram_user_id: int, now: datetime) -> str | None:
        """Unlink the person from their reference; the log keeps only the reference."""
        ref = await self.find_ref(telegram_user_id)
        if ref is not None:
            await self.c.execute(
                sa.update(audit_people)
                .where(audit_people.c.ref == ref)
                .values(telegram_user_id=None, forgotten_at=now)
            )
        return ref
