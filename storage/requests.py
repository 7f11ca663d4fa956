"""Requests to countries, teams or members, and their responses with files."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from bot.domain.models import Audience
from bot.domain.request_models import (
    AnswerKind,
    Request,
    RequestStatus,
    Response,
    ResponseFile,
    ResponseStatus,
)
from storage.rows import Repo, chunks, insert_ignore, is_postgres
from storage.schema import (
    requests,
    response_files,
    responses,
)


def _dump(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _offsets(raw: str | None) -> tuple[int, ...] | None:
    return None if raw is None else tuple(int(v) for v in json.loads(raw))


def _request(row: Any) -> Request:
    return Request(
        id=row.id,
        title=row.title,
        body=row.body,
        ref_locale=row.ref_locale,
        translations=json.loads(row.translations),
        deadline=row.deadline,
        timezone=row.timezone,
        audience=Audience.from_json(json.loads(row.audience)),
        answer_kind=AnswerKind(row.answer_kind),
        options=tuple(json.loads(row.options)),
        accept_late=bool(row.accept_late),
        reminder_offsets=_offsets(row.reminder_offsets),
        skip_days_off=None if row.skip_days_off is None else bool(row.skip_days_off),
        item_id=row.item_id,
        status=RequestStatus(row.status),
        escalated_at=row.escalated_at,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def request_values(
    *,
    title: str,
    body: str,
    ref_locale: str,
    translations: dict[str, Any],
    deadline: datetime,
    timezone: str,
    audience: Audience,
    answer_kind: AnswerKind,
    options: Sequence[str],
    accept_late: bool,
    reminder_offsets: Sequence[int] | None,
    skip_days_off: bool | None,
    item_id: int | None = None,
    created_by: int | None = None,
) -> dict[str, Any]:
    return {
        "title": title,
        "body": body,
        "ref_locale": ref_locale,
        "translations": _dump(translations),
        "deadline": deadline,
        "timezone": timezone,
        "audience": _dump(audience.as_json()),
        "answer_kind": answer_kind.value,
        "options": _dump(list(options)),
        "accept_late": accept_late,
        "reminder_offsets": None if reminder_offsets is None else _dump(list(reminder_offsets)),
        "skip_days_off": skip_days_off,
        "item_id": item_id,
        "created_by": created_by,
    }


class RequestRepo(Repo):
    async def create(self, values: dict[str, Any], now: datetime) -> int:
        result = await self.c.execute(
            sa.insert(requests)
            .values(
                **values,
                status=RequestStatus.OPEN.value,
                escalated_at=None,
                created_at=now,
                updated_at=now,
            )
            .returning(requests.c.id)
        )
        return int(result.scalar_one())

    async def get(self, request_id: int, *, lock: bool = False) -> Request | None:
        query = sa.select(requests).where(requests.c.id == request_id)
        if lock and is_postgres(self.c):
            query = query.with_for_update()
        row = (await self.c.execute(query)).first()
        return _request(row) if row else None

    async def update(self, request_id: int, now: datetime, **values: Any) -> None:
        await self.c.execute(
            sa.update(requests).where(requests.c.id == request_id).values(updated_at=now, **values)
        )

    async def listing(self, *, open_only: bool = True, standalone: bool = False) -> list[Request]:
        query = sa.select(requests).order_by(requests.c.deadline, requests.c.id)
        if open_only:
            query = query.where(requests.c.status == RequestStatus.OPEN.value)
        if standalone:
            query = query.where(requests.c.item_id.is_(None))
        return [_request(row) for row in await self.c.execute(query)]

    async def of_items(self, item_ids: Sequence[int]) -> list[Request]:
        if not item_ids:
            return []
        rows = await self.c.execute(
            sa.select(requests)
            .where(requests.c.item_id.in_(list(item_ids)))
            .order_by(requests.c.deadline, requests.c.id)
        )
        return [_request(row) for row in rows]

    async def escalation_due(self, now: datetime) -> list[int]:
        rows = await self.c.execute(
            sa.select(requests.c.id)
            .where(
                requests.c.status == RequestStatus.OPEN.value,
                requests.c.deadline <= now,
                requests.c.escalated_at.is_(None),
            )
            .order_by(requests.c.deadline, requests.c.id)
        )
        return list(rows.scalars())

    async def claim_escalation(self, request_id: int, now: datetime) -> bool:
        """Mark the request escalated, once: of two sweeping processes, one wins."""
        result = await self.c.execute(
            sa.update(requests)
            .where(
                requests.c.id == request_id,
                requests.c.escalated_at.is_(None),
                requests.c.deadline <= now,
                requests.c.status == RequestStatus.OPEN.value,
            )
            .values(escalated_at=now)
        )
        return result.rowcount == 1


def _file(row: Any) -> ResponseFile:
    return ResponseFile(
        id=row.id,
        response_id=row.response_id,
        file_id=row.file_id,
        file_unique_id=row.file_unique_id,
        file_name=row.file_name,
        mime_type=row.mime_type,
        file_size=row.file_size,
        path=row.path,
        uploaded_by=row.uploaded_by,
        created_at=row.created_at,
    )


def _response(row: Any, files: Sequence[ResponseFile] = ()) -> Response:
    return Response(
        id=row.id,
        request_id=row.request_id,
        party=row.party,
        status=ResponseStatus(row.status),
        choice=row.choice,
        text=row.text,
        answered_by=row.answered_by,
        answered_at=row.answered_at,
        amendments=row.amendments,
        files=tuple(files),
    )


class ResponseRepo(Repo):
    async def add_many(self, request_id: int, parties: Sequence[str], now: datetime) -> None:
        for chunk in chunks(list(dict.fromkeys(parties))):
            await self.c.execute(
                insert_ignore(self.c, responses),
                [
                    {
                        "request_id": request_id,
                        "party": party,
                        "status": ResponseStatus.PENDING.value,
                        "amendments": 0,
                        "created_at": now,
                    }
                    for party in chunk
                ],
            )

    async def _files(self, response_ids: Sequence[int]) -> dict[int, list[ResponseFile]]:
        found: dict[int, list[ResponseFile]] = {}
        for chunk in chunks(list(response_ids)):
            rows = await self.c.execute(
                sa.select(response_files)
                .where(response_files.c.response_id.in_(list(chunk)))
                .order_by(response_files.c.id)
            )
            for row in rows:
                found.setdefault(row.response_id, []).append(_file(row))
        return found

    async def of_requests(self, request_ids: Sequence[int]) -> list[Response]:
        if not request_ids:
            return []
        rows = (
            await self.c.execute(
                sa.select(responses)
                .where(responses.c.request_id.in_(list(request_ids)))
                .order_by(responses.c.request_id, responses.c.party)
            )
        ).all()
        # The files of these requests' answers in one query (not one per 500 answers: a
        # request to 100,000 members has as many).
        files: dict[int, list[ResponseFile]] = {}
        for row in await self.c.execute(
            sa.select(response_files)
            .join(responses, responses.c.id == response_files.c.response_id)
            .where(responses.c.request_id.in_(list(request_ids)))
            .order_by(response_files.c.id)
        ):
            files.setdefault(row.response_id, []).append(_file(row))
        return [_response(row, files.get(row.id, ())) for row in rows]

    async def get(self, response_id: int, *, lock: bool = False) -> Response | None:
        query = sa.select(responses).where(responses.c.id == response_id)
        if lock and is_postgres(self.c):
            query = query.with_for_update()
        row = (await self.c.execute(query)).first()
        if row is None:
            return None
        return _response(row, (await self._files([row.id])).get(row.id, ()))

    async def update(self, response_id: int, **values: Any) -> None:
        await self.c.execute(
            sa.update(responses).where(responses.c.id == response_id).values(**values)
        )

    async def for_parties(
        self, parties: Sequence[str], deadline_after: datetime
    ) -> list[tuple[Request, Response]]:
        """Open requests owed by any of `parties`, with a deadline after the given moment."""
        if not parties:
            return []
        rows = (
            await self.c.execute(
                sa.select(requests, *[c.label(f"r_{c.name}") for c in responses.c])
                .join(responses, responses.c.request_id == requests.c.id)
                .where(
                    responses.c.party.in_(list(parties)),
                    requests.c.status == RequestStatus.OPEN.value,
                    requests.c.deadline > deadline_after,
                )
                .order_by(requests.c.deadline, requests.c.id)
            )
        ).all()
        files = await self._files([row.r_id for row in rows])
        found = []
        for row in rows:
            response = Response(
                id=row.r_id,
                request_id=row.r_request_id,
                party=row.r_party,
                status=ResponseStatus(row.r_status),
                choice=row.r_choice,
                text=row.r_text,
                answered_by=row.r_answered_by,
                answered_at=row.r_answered_at,
                amendments=row.r_amendments,
                files=tuple(files.get(row.r_id, ())),
            )
            found.append((_request(row), response))
        return found

    async def add_file(self, response_id: int, now: datetime, **values: Any) -> int:
        result = await self.c.execute(
            sa.insert(response_files)
            .values(response_id=response_id, created_at=now, **values)
            .returning(response_files.c.id)
        )
        return int(result.scalar_one())

    async def set_file_path(self, file_row_id: int, path: str) -> None:
        await self.c.execute(
            sa.update(response_files).where(response_files.c.id == file_row_id).values(path=path)
        )

    async def clear_files(self, response_id: int) -> list[ResponseFile]:
        removed = (await self._files([response_id])).get(response_id, [])
        await self.c.execute(
            sa.delete(response_files).where(response_files.c.response_id == response_id)
        )
        return removed
