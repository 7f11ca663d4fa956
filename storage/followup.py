"""Repositories for what is owed and what chases it: requests, answers, plans, reminders."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.models import (
    AnswerKind,
    Audience,
    Member,
    MemberStatus,
    Plan,
    PlanItem,
    Reminder,
    ReminderState,
    Request,
    RequestStatus,
    Response,
    ResponseFile,
    ResponseStatus,
    RuleKind,
)
from storage.rows import MEMBER_COLUMNS, chunks, insert_ignore, is_postgres, member_from_row
from storage.schema import (
    accounts,
    action_plans,
    members,
    plan_items,
    reminders,
    requests,
    response_files,
    responses,
    team_members,
    teams,
)


def _dump(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _offsets(raw: str | None) -> tuple[int, ...] | None:
    return None if raw is None else tuple(int(v) for v in json.loads(raw))


class _Repo:
    def __init__(self, connection: AsyncConnection) -> None:
        self.c = connection


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


class RequestRepo(_Repo):
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

    async def answerers(self, parties: Iterable[str]) -> dict[str, list[Member]]:
        """The active members who may answer for each party."""
        found: dict[str, list[Member]] = {}
        member_ids, countries, team_ids = [], [], []
        for party in dict.fromkeys(parties):
            found[party] = []
            kind, _, key = party.partition(":")
            if kind == "member":
                member_ids.append(int(key))
            elif kind == "country":
                countries.append(key)
            elif kind == "team":
                team_ids.append(int(key))
        base = sa.select(*MEMBER_COLUMNS).join_from(
            members, accounts, members.c.telegram_user_id == accounts.c.telegram_user_id
        )
        active = members.c.status == MemberStatus.ACTIVE.value
        order = (members.c.full_name, members.c.id)
        if member_ids:
            for row in await self.c.execute(
                base.where(active, members.c.id.in_(member_ids)).order_by(*order)
            ):
                found[f"member:{row.id}"].append(member_from_row(row))
        if countries:
            for row in await self.c.execute(
                base.where(active, members.c.country.in_(countries)).order_by(*order)
            ):
                found[f"country:{row.country}"].append(member_from_row(row))
        if team_ids:
            query = (
                base.add_columns(team_members.c.team_id)
                .join(team_members, team_members.c.member_id == members.c.id)
                .where(active, team_members.c.team_id.in_(team_ids))
                .order_by(*order)
            )
            for row in await self.c.execute(query):
                found[f"team:{row.team_id}"].append(member_from_row(row))
        return found

    async def team_ids(self, slugs: Sequence[str]) -> dict[str, int]:
        if not slugs:
            return {}
        rows = await self.c.execute(
            sa.select(teams.c.slug, teams.c.id).where(teams.c.slug.in_(list(slugs)))
        )
        return {slug: team_id for slug, team_id in rows}

    async def team_names(self, team_ids: Sequence[int]) -> dict[int, str]:
        if not team_ids:
            return {}
        rows = await self.c.execute(
            sa.select(teams.c.id, teams.c.name).where(teams.c.id.in_(list(team_ids)))
        )
        return {team_id: name for team_id, name in rows}

    async def team_chairs(self, team_id: int) -> list[Member]:
        rows = await self.c.execute(
            sa.select(*MEMBER_COLUMNS)
            .join_from(members, accounts, members.c.telegram_user_id == accounts.c.telegram_user_id)
            .join(team_members, team_members.c.member_id == members.c.id)
            .where(
                team_members.c.team_id == team_id,
                team_members.c.role == "chair",
                members.c.status == MemberStatus.ACTIVE.value,
            )
        )
        return [member_from_row(row) for row in rows]

    async def people(self, user_ids: Iterable[int]) -> dict[int, tuple[int | None, str | None]]:
        """(chat_id, country) of each Telegram user: the country if they are a member."""
        ids = list(dict.fromkeys(user_ids))
        found: dict[int, tuple[int | None, str | None]] = {}
        for chunk in chunks(ids):
            rows = await self.c.execute(
                sa.select(accounts.c.telegram_user_id, accounts.c.chat_id, members.c.country)
                .select_from(
                    accounts.outerjoin(
                        members, members.c.telegram_user_id == accounts.c.telegram_user_id
                    )
                )
                .where(accounts.c.telegram_user_id.in_(list(chunk)))
            )
            for user_id, chat_id, country in rows:
                found[user_id] = (chat_id, country)
        return found

    async def timezones(self, user_ids: Iterable[int]) -> dict[int, str | None]:
        ids = list(dict.fromkeys(user_ids))
        found: dict[int, str | None] = {}
        for chunk in chunks(ids):
            rows = await self.c.execute(
                sa.select(accounts.c.telegram_user_id, accounts.c.timezone).where(
                    accounts.c.telegram_user_id.in_(list(chunk))
                )
            )
            found.update({user_id: tz for user_id, tz in rows})
        return found


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


class ResponseRepo(_Repo):
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
        files = await self._files([row.id for row in rows])
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


def _plan(row: Any) -> Plan:
    return Plan(row.id, row.slug, row.title, row.ref_locale, row.timezone)


def _item(row: Any) -> PlanItem:
    return PlanItem(
        id=row.id,
        plan_id=row.plan_id,
        ref=row.ref,
        title=row.title,
        body=row.body,
        translations=json.loads(row.translations),
        responsible=Audience.from_json(json.loads(row.responsible)),
        rule_kind=RuleKind(row.rule_kind),
        rule=row.rule,
        dtstart=row.dtstart,
        answer_kind=AnswerKind(row.answer_kind),
        options=tuple(json.loads(row.options)),
        reminder_offsets=_offsets(row.reminder_offsets),
        current_deadline=row.current_deadline,
        next_deadline=row.next_deadline,
    )


def item_values(
    *,
    ref: str,
    title: str,
    body: str,
    translations: dict[str, Any],
    responsible: Audience,
    rule_kind: RuleKind,
    rule: str,
    dtstart: datetime,
    answer_kind: AnswerKind,
    options: Sequence[str],
    reminder_offsets: Sequence[int] | None,
) -> dict[str, Any]:
    return {
        "ref": ref,
        "title": title,
        "body": body,
        "translations": _dump(translations),
        "responsible": _dump(responsible.as_json()),
        "rule_kind": rule_kind.value,
        "rule": rule,
        "dtstart": dtstart,
        "answer_kind": answer_kind.value,
        "options": _dump(list(options)),
        "reminder_offsets": None if reminder_offsets is None else _dump(list(reminder_offsets)),
    }


class PlanRepo(_Repo):
    async def by_slug(self, slug: str) -> Plan | None:
        row = (
            await self.c.execute(sa.select(action_plans).where(action_plans.c.slug == slug))
        ).first()
        return _plan(row) if row else None

    async def get(self, plan_id: int) -> Plan | None:
        row = (
            await self.c.execute(sa.select(action_plans).where(action_plans.c.id == plan_id))
        ).first()
        return _plan(row) if row else None

    async def all(self) -> list[Plan]:
        rows = await self.c.execute(sa.select(action_plans).order_by(action_plans.c.id))
        return [_plan(row) for row in rows]

    async def save(
        self, slug: str, title: str, ref_locale: str, timezone: str, now: datetime
    ) -> int:
        found = await self.by_slug(slug)
        values = {"title": title, "ref_locale": ref_locale, "timezone": timezone, "updated_at": now}
        if found is not None:
            await self.c.execute(
                sa.update(action_plans).where(action_plans.c.id == found.id).values(**values)
            )
            return found.id
        result = await self.c.execute(
            sa.insert(action_plans)
            .values(slug=slug, created_at=now, **values)
            .returning(action_plans.c.id)
        )
        return int(result.scalar_one())

    async def items(self, plan_id: int) -> list[PlanItem]:
        rows = await self.c.execute(
            sa.select(plan_items).where(plan_items.c.plan_id == plan_id).order_by(plan_items.c.id)
        )
        return [_item(row) for row in rows]

    async def item(self, item_id: int) -> PlanItem | None:
        row = (
            await self.c.execute(sa.select(plan_items).where(plan_items.c.id == item_id))
        ).first()
        return _item(row) if row else None

    async def item_by_ref(self, plan_id: int, ref: str) -> PlanItem | None:
        row = (
            await self.c.execute(
                sa.select(plan_items).where(
                    plan_items.c.plan_id == plan_id, plan_items.c.ref == ref
                )
            )
        ).first()
        return _item(row) if row else None

    async def add_item(self, plan_id: int, values: dict[str, Any], now: datetime) -> int:
        result = await self.c.execute(
            sa.insert(plan_items)
            .values(plan_id=plan_id, created_at=now, **values)
            .returning(plan_items.c.id)
        )
        return int(result.scalar_one())

    async def update_item(self, item_id: int, **values: Any) -> None:
        await self.c.execute(
            sa.update(plan_items).where(plan_items.c.id == item_id).values(**values)
        )

    async def to_advance(self, now: datetime) -> list[PlanItem]:
        """Items whose latest occurrence's deadline has passed and that have another."""
        rows = await self.c.execute(
            sa.select(plan_items)
            .where(plan_items.c.current_deadline <= now, plan_items.c.next_deadline.is_not(None))
            .order_by(plan_items.c.id)
        )
        return [_item(row) for row in rows]

    async def advance(
        self,
        item_id: int,
        current: datetime | None,
        new_current: datetime | None,
        new_next: datetime | None,
    ) -> bool:
        """Move an item to its next occurrence, once: of two sweeping processes, one wins."""
        condition = (
            plan_items.c.current_deadline.is_(None)
            if current is None
            else plan_items.c.current_deadline == current
        )
        result = await self.c.execute(
            sa.update(plan_items)
            .where(plan_items.c.id == item_id, condition)
            .values(current_deadline=new_current, next_deadline=new_next)
        )
        return result.rowcount == 1


def _reminder(row: Any) -> Reminder:
    return Reminder(
        id=row.id,
        subject=row.subject,
        step=row.step,
        telegram_user_id=row.telegram_user_id,
        response_id=row.response_id,
        due_at=row.due_at,
        send_at=row.send_at,
        state=ReminderState(row.state),
    )


class ReminderRepo(_Repo):
    async def plan(self, rows: Sequence[dict[str, Any]], now: datetime) -> int:
        """Add planned reminders; one that exists (same subject, step, recipient) is kept."""
        added = 0
        for chunk in chunks(list(rows)):
            result = await self.c.execute(
                insert_ignore(self.c, reminders),
                [{**row, "state": ReminderState.PLANNED.value, "created_at": now} for row in chunk],
            )
            added += max(result.rowcount, 0)
        return added

    async def drop_planned(
        self,
        subject: str,
        *,
        users: Sequence[int] | None = None,
        response_ids: Sequence[int] | None = None,
        step_prefixes: Sequence[str] = (),
    ) -> int:
        """Forget reminders not yet sent (they are re-planned from the current state)."""
        query = sa.delete(reminders).where(
            reminders.c.subject == subject, reminders.c.state == ReminderState.PLANNED.value
        )
        if users is not None:
            query = query.where(reminders.c.telegram_user_id.in_(list(users)))
        if response_ids is not None:
            query = query.where(reminders.c.response_id.in_(list(response_ids)))
        if step_prefixes:
            query = query.where(
                sa.or_(*[reminders.c.step.startswith(prefix) for prefix in step_prefixes])
            )
        result = await self.c.execute(query)
        return max(result.rowcount, 0)

    async def claim_due(self, now: datetime, limit: int) -> list[Reminder]:
        """The next due planned reminders, locked for this transaction on PostgreSQL (another
        sweeping process skips them), in the order they are due."""
        query = (
            sa.select(reminders)
            .where(reminders.c.state == ReminderState.PLANNED.value, reminders.c.send_at <= now)
            .order_by(reminders.c.send_at, reminders.c.id)
            .limit(limit)
        )
        if is_postgres(self.c):
            query = query.with_for_update(skip_locked=True)
        return [_reminder(row) for row in await self.c.execute(query)]

    async def mark(self, ids: Sequence[int], state: ReminderState, now: datetime) -> int:
        done = 0
        for chunk in chunks(list(ids)):
            result = await self.c.execute(
                sa.update(reminders)
                .where(
                    reminders.c.id.in_(list(chunk)),
                    reminders.c.state == ReminderState.PLANNED.value,
                )
                .values(state=state.value, handled_at=now)
            )
            done += max(result.rowcount, 0)
        return done

    async def next_send_at(self) -> datetime | None:
        """When the next planned reminder is due (tests move their clock there)."""
        return (
            await self.c.execute(
                sa.select(sa.func.min(reminders.c.send_at)).where(
                    reminders.c.state == ReminderState.PLANNED.value
                )
            )
        ).scalar_one_or_none()

    async def of_subject(self, subject: str) -> list[Reminder]:
        rows = await self.c.execute(
            sa.select(reminders)
            .where(reminders.c.subject == subject)
            .order_by(reminders.c.send_at, reminders.c.telegram_user_id, reminders.c.id)
        )
        return [_reminder(row) for row in rows]
