"""Action plans and their items (obligations with a responsible party and a rule)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from bot.domain.models import Audience
from bot.domain.request_models import AnswerKind, Plan, PlanItem, RuleKind
from storage.rows import Repo
from storage.schema import action_plans, plan_items


def _dump(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _offsets(raw: str | None) -> tuple[int, ...] | None:
    return None if raw is None else tuple(int(v) for v in json.loads(raw))


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


class PlanRepo(Repo):
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
