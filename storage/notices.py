"""Notices: every message sent to an audience (announcement, invitation, reminder, report)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from bot.domain.models import Audience, Notice, NoticeKind, NoticeStatus
from storage.rows import Repo, insert_ignore
from storage.schema import notices


def _notice(row: Any) -> Notice:
    return Notice(
        id=row.id,
        kind=NoticeKind(row.kind),
        meeting_id=row.meeting_id,
        body=row.body,
        ref_locale=row.ref_locale,
        translations=json.loads(row.translations),
        changes=json.loads(row.changes),
        audience=Audience.from_json(json.loads(row.audience)),
        document_file_id=row.document_file_id,
        document_name=row.document_name,
        document_path=row.document_path,
        ack_required=bool(row.ack_required),
        restricted=bool(row.restricted),
        status=NoticeStatus(row.status),
        total=row.total,
        created_by=row.created_by,
        progress_chat_id=row.progress_chat_id,
        progress_message_id=row.progress_message_id,
        created_at=row.created_at,
        finished_at=row.finished_at,
        request_id=row.request_id,
        topic=row.topic,
    )


class NoticeRepo(Repo):
    async def create(
        self,
        *,
        kind: NoticeKind,
        now: datetime,
        meeting_id: int | None = None,
        body: str = "",
        ref_locale: str = "en",
        translations: dict[str, str] | None = None,
        changes: dict[str, Any] | None = None,
        audience: Audience | None = None,
        document_file_id: str | None = None,
        document_name: str | None = None,
        document_path: str | None = None,
        ack_required: bool = False,
        restricted: bool = False,
        created_by: int | None = None,
        progress_chat_id: int | None = None,
        request_id: int | None = None,
        topic: str | None = None,
    ) -> int:
        result = await self.c.execute(
            sa.insert(notices)
            .values(
                kind=kind.value,
                meeting_id=meeting_id,
                body=body,
                ref_locale=ref_locale,
                translations=json.dumps(translations or {}, ensure_ascii=False, sort_keys=True),
                changes=json.dumps(changes or {}, ensure_ascii=False, sort_keys=True),
                audience=json.dumps((audience or Audience()).as_json(), sort_keys=True),
                document_file_id=document_file_id,
                document_name=document_name,
                document_path=document_path,
                ack_required=ack_required,
                restricted=restricted,
                status=NoticeStatus.SENDING.value,
                total=0,
                created_by=created_by,
                progress_chat_id=progress_chat_id,
                request_id=request_id,
                topic=topic,
                created_at=now,
            )
            .returning(notices.c.id)
        )
        return int(result.scalar_one())

    async def get(self, notice_id: int) -> Notice | None:
        row = (await self.c.execute(sa.select(notices).where(notices.c.id == notice_id))).first()
        return _notice(row) if row else None

    async def for_topic(
        self,
        topic: str,
        *,
        kind: NoticeKind,
        now: datetime,
        meeting_id: int | None = None,
        request_id: int | None = None,
        changes: dict[str, Any] | None = None,
    ) -> int:
        """The notice of this topic, created if there is none yet. Two processes creating
        it at once get the same row (the unique topic, and INSERT … ON CONFLICT)."""
        await self.c.execute(
            insert_ignore(self.c, notices).values(
                kind=kind.value,
                meeting_id=meeting_id,
                request_id=request_id,
                topic=topic,
                body="",
                ref_locale="en",
                translations="{}",
                changes=json.dumps(changes or {}, sort_keys=True),
                audience=json.dumps(Audience().as_json(), sort_keys=True),
                ack_required=False,
                restricted=False,
                status=NoticeStatus.SENDING.value,
                total=0,
                created_at=now,
            )
        )
        found = await self.by_topic(topic)
        assert found is not None
        return found

    async def by_topic(self, topic: str) -> int | None:
        return (
            await self.c.execute(sa.select(notices.c.id).where(notices.c.topic == topic))
        ).scalar_one_or_none()

    async def update(self, notice_id: int, **values: Any) -> None:
        await self.c.execute(sa.update(notices).where(notices.c.id == notice_id).values(**values))

    async def of_meeting(self, meeting_id: int) -> list[Notice]:
        rows = await self.c.execute(
            sa.select(notices).where(notices.c.meeting_id == meeting_id).order_by(notices.c.id)
        )
        return [_notice(row) for row in rows]

    async def sending(self) -> list[Notice]:
        rows = await self.c.execute(
            sa.select(notices)
            .where(notices.c.status == NoticeStatus.SENDING.value)
            .order_by(notices.c.id)
        )
        return [_notice(row) for row in rows]

    async def finish(self, notice_id: int, now: datetime) -> bool:
        """Mark a notice done, once: of two workers that notice the end, one wins."""
        result = await self.c.execute(
            sa.update(notices)
            .where(notices.c.id == notice_id, notices.c.status == NoticeStatus.SENDING.value)
            .values(status=NoticeStatus.DONE.value, finished_at=now)
        )
        return result.rowcount == 1

    async def reopen(self, notice_id: int) -> None:
        await self.c.execute(
            sa.update(notices)
            .where(notices.c.id == notice_id)
            .values(status=NoticeStatus.SENDING.value, finished_at=None)
        )
