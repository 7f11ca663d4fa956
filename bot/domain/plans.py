"""Action plans: items with a responsible party and a deadline rule, and their obligations.

An item's deadline rule is a date, a recurring rule (RFC 5545 RRULE, or a shorthand such
as "semester" or "february"), or "permanent": no deadline of its own, with periodic status
reports (each semester unless the plan says otherwise). Each occurrence of the rule is an
obligation: a request (bot/domain/requests.py) owed once by each responsible party, so
that submitting, reminding and escalating work as they do for any request. Obligations
accept late submissions and mark them late.

Each item always shows its next occurrence: it is created when the plan is imported, and
the sweep creates the following one once its deadline has passed. Occurrences are not
announced with a card of their own (a yearly report would be announced a year ahead); the
reminders before the deadline carry the button to submit, and `/requests` lists them.

bot/domain/plan_specs.py reads a plan (JSON or CSV) and its deadline rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.access import Scope
from bot.domain.audit import Action, record
from bot.domain.clock import Clock
from bot.domain.plan_specs import (
    PlanError,
    PlanSpec,
    next_deadline,
)
from bot.domain.reminders import Planner
from bot.domain.request_models import Plan, PlanItem, Request
from bot.domain.request_status import RequestReport, build_reports
from bot.domain.requests import RequestError, parties_of
from storage.db import Database
from storage.plans import item_values
from storage.requests import request_values
from storage.tx import Tx


@dataclass(frozen=True)
class ImportResult:
    plan_id: int
    created: int
    updated: int
    obligations: int  # occurrences created now
    without_deadline: tuple[str, ...]  # refs whose only date has already passed


@dataclass(frozen=True)
class ItemStatus:
    item: PlanItem
    occurrences: list[RequestReport]


@dataclass(frozen=True)
class PlanReport:
    plan: Plan
    items: list[ItemStatus]


class Plans:
    def __init__(self, db: Database, clock: Clock, planner: Planner) -> None:
        self.db = db
        self.clock = clock
        self.planner = planner

    async def import_plan(self, spec: PlanSpec, *, imported_by: int | None = None) -> ImportResult:
        """Create or update a plan (matched by slug, items by ref) and the next obligation of
        each new item. Obligations already created keep their deadlines."""
        now = self.clock.now()
        created = updated = obligations = 0
        without: list[str] = []
        async with self.db.transaction() as tx:
            plan_id = await tx.plans.save(
                spec.slug, spec.title, spec.ref_locale, spec.timezone, now
            )
            for item in spec.items:
                try:
                    await parties_of(tx, item.responsible, teams_as_parties=True)
                except RequestError as error:
                    raise PlanError(
                        f"item {item.ref}: responsible party: {error.value or error.problem.value}"
                    ) from error
                values = item_values(
                    ref=item.ref,
                    title=item.title,
                    body=item.body,
                    translations=item.translations,
                    responsible=item.responsible,
                    rule_kind=item.rule_kind,
                    rule=item.rule,
                    dtstart=item.dtstart,
                    answer_kind=item.answer_kind,
                    options=item.options,
                    reminder_offsets=item.reminder_offsets,
                )
                found = await tx.plans.item_by_ref(plan_id, item.ref)
                if found is not None:
                    await tx.plans.update_item(found.id, **values)
                    updated += 1
                    after = found.current_deadline or now
                    await tx.plans.update_item(
                        found.id,
                        next_deadline=next_deadline(
                            item.rule_kind, item.rule, item.dtstart, spec.timezone, after
                        ),
                    )
                    if found.current_deadline is not None:
                        continue
                    item_id = found.id
                else:
                    item_id = await tx.plans.add_item(plan_id, values, now)
                    created += 1
                first = next_deadline(item.rule_kind, item.rule, item.dtstart, spec.timezone, now)
                if first is None:
                    without.append(item.ref)
                    continue
                following = next_deadline(
                    item.rule_kind, item.rule, item.dtstart, spec.timezone, first
                )
                await tx.plans.advance(item_id, None, first, following)
                stored = await tx.plans.item(item_id)
                assert stored is not None
                await self._occurrence(tx, stored, spec.timezone, spec.ref_locale, first, now)
                obligations += 1
            await record(
                tx,
                now,
                Action.PLAN_IMPORT,
                "plan",
                plan_id,
                actor=imported_by,
                slug=spec.slug,
                created=created,
                updated=updated,
                obligations=obligations,
            )
        return ImportResult(plan_id, created, updated, obligations, tuple(without))

    async def advance(self, now: datetime) -> int:
        """Create the next obligation of every item whose latest deadline has passed; run by
        the sweep. Returns how many were created."""
        created = 0
        for _ in range(12):  # catching up after a long downtime: one occurrence per round
            async with self.db.transaction() as tx:
                items = await tx.plans.to_advance(now)
            if not items:
                break
            for item in items:
                async with self.db.transaction() as tx:
                    plan = await tx.plans.get(item.plan_id)
                    assert plan is not None and item.next_deadline is not None
                    following = next_deadline(
                        item.rule_kind, item.rule, item.dtstart, plan.timezone, item.next_deadline
                    )
                    if not await tx.plans.advance(
                        item.id, item.current_deadline, item.next_deadline, following
                    ):
                        continue  # another process advanced it
                    await self._occurrence(
                        tx, item, plan.timezone, plan.ref_locale, item.next_deadline, now
                    )
                    created += 1
        return created

    async def _occurrence(
        self,
        tx: Tx,
        item: PlanItem,
        timezone: str,
        ref_locale: str,
        deadline: datetime,
        now: datetime,
    ) -> int:
        request_id = await tx.requests.create(
            request_values(
                title=item.title,
                body=item.body,
                ref_locale=ref_locale,
                translations=item.translations,
                deadline=deadline,
                timezone=timezone,
                audience=item.responsible,
                answer_kind=item.answer_kind,
                options=item.options,
                accept_late=True,
                reminder_offsets=item.reminder_offsets,
                skip_days_off=None,
                item_id=item.id,
            ),
            now,
        )
        parties = await parties_of(tx, item.responsible, teams_as_parties=True)
        await tx.responses.add_many(request_id, parties, now)
        request = await tx.requests.get(request_id)
        assert request is not None
        await self.planner.plan_request(tx, request, now)
        return request_id

    async def listing(self) -> list[Plan]:
        async with self.db.transaction() as tx:
            return await tx.plans.all()

    async def report(self, plan_id: int, scope: Scope | None = None) -> PlanReport | None:
        """Every item and its obligations; within `scope`, only the parties the viewer
        oversees (items where they have none are left out; None if nothing is left)."""
        async with self.db.read() as tx:  # a report: on a reader connection
            plan = await tx.plans.get(plan_id)
            if plan is None:
                return None
            items = await tx.plans.items(plan_id)
            occurrences = await tx.requests.of_items([item.id for item in items])
            by_item: dict[int, list[Request]] = {}
            for request in occurrences:
                by_item.setdefault(request.item_id or 0, []).append(request)
            # Every occurrence's status at once: a constant number of queries per plan.
            built = await build_reports(tx, occurrences, scope)
            statuses = []
            restricted = scope is not None and not scope.everything
            for item in items:
                found = [built[r.id] for r in by_item.get(item.id, [])]
                reports = [r for r in found if r is not None]
                if reports or not restricted:
                    statuses.append(ItemStatus(item, reports))
            if restricted and not statuses:
                return None
            return PlanReport(plan, statuses)

    async def item_of(self, request: Request) -> tuple[Plan, PlanItem] | None:
        if request.item_id is None:
            return None
        async with self.db.transaction() as tx:
            item = await tx.plans.item(request.item_id)
            plan = await tx.plans.get(item.plan_id) if item else None
            return (plan, item) if plan and item else None
