"""Meetings: their texts in each language, times, place, audience and options."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from bot.domain.models import Audience, Meeting, MeetingMode, MeetingStatus, MeetingText
from storage.rows import Repo, is_postgres
from storage.schema import invitations, meetings


def meeting_from_row(row: Any) -> Meeting:
    translations = {
        locale: MeetingText(t.get("title", ""), t.get("description", ""), t.get("agenda", ""))
        for locale, t in json.loads(row.translations).items()
    }
    return Meeting(
        id=row.id,
        title=row.title,
        description=row.description,
        agenda=row.agenda,
        ref_locale=row.ref_locale,
        translations=translations,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        timezone=row.timezone,
        mode=MeetingMode(row.mode),
        venue=row.venue,
        city=row.city,
        host_country=row.host_country,
        online_url=row.online_url,
        audience=Audience.from_json(json.loads(row.audience)),
        rsvp_deadline=row.rsvp_deadline,
        tentative=bool(row.tentative),
        ask_comment=bool(row.ask_comment),
        status=MeetingStatus(row.status),
        date_version=row.date_version,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        reminder_offsets=(
            None
            if row.reminder_offsets is None
            else tuple(int(v) for v in json.loads(row.reminder_offsets))
        ),
    )


def meeting_values(meeting: Meeting) -> dict[str, Any]:
    """The columns of a meeting record, for insert and update."""
    return {
        "title": meeting.title,
        "description": meeting.description,
        "agenda": meeting.agenda,
        "ref_locale": meeting.ref_locale,
        "translations": json.dumps(
            {
                locale: {"title": t.title, "description": t.description, "agenda": t.agenda}
                for locale, t in meeting.translations.items()
            },
            ensure_ascii=False,
            sort_keys=True,
        ),
        "starts_at": meeting.starts_at,
        "ends_at": meeting.ends_at,
        "timezone": meeting.timezone,
        "mode": meeting.mode.value,
        "venue": meeting.venue,
        "city": meeting.city,
        "host_country": meeting.host_country,
        "online_url": meeting.online_url,
        "audience": json.dumps(meeting.audience.as_json(), sort_keys=True),
        "rsvp_deadline": meeting.rsvp_deadline,
        "tentative": meeting.tentative,
        "ask_comment": meeting.ask_comment,
        "status": meeting.status.value,
        "date_version": meeting.date_version,
        "reminder_offsets": (
            None if meeting.reminder_offsets is None else json.dumps(list(meeting.reminder_offsets))
        ),
    }


class MeetingRepo(Repo):
    async def create(self, meeting: Meeting, now: datetime) -> int:
        result = await self.c.execute(
            sa.insert(meetings)
            .values(
                created_by=meeting.created_by,
                created_at=now,
                updated_at=now,
                **meeting_values(meeting),
            )
            .returning(meetings.c.id)
        )
        return int(result.scalar_one())

    async def get(self, meeting_id: int, *, lock: bool = False) -> Meeting | None:
        query = sa.select(meetings).where(meetings.c.id == meeting_id)
        if lock and is_postgres(self.c):
            query = query.with_for_update()
        row = (await self.c.execute(query)).first()
        return meeting_from_row(row) if row else None

    async def save(self, meeting: Meeting, now: datetime) -> None:
        await self.c.execute(
            sa.update(meetings)
            .where(meetings.c.id == meeting.id)
            .values(updated_at=now, **meeting_values(meeting))
        )

    async def listing(self, *, ending_after: datetime | None = None) -> list[Meeting]:
        query = sa.select(meetings).order_by(meetings.c.starts_at, meetings.c.id)
        if ending_after is not None:
            query = query.where(meetings.c.ends_at > ending_after)
        return [meeting_from_row(row) for row in await self.c.execute(query)]

    async def of_member(self, member_id: int, ending_after: datetime) -> list[Meeting]:
        rows = await self.c.execute(
            sa.select(meetings)
            .join(invitations, invitations.c.meeting_id == meetings.c.id)
            .where(
                invitations.c.member_id == member_id,
                meetings.c.ends_at > ending_after,
                meetings.c.status == MeetingStatus.ANNOUNCED.value,
            )
            .order_by(meetings.c.starts_at, meetings.c.id)
        )
        return [meeting_from_row(row) for row in rows]
