"""`/plan`: the secretariat's view of action plans and the status of every obligation."""

from __future__ import annotations

import re
from datetime import datetime

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import ConveneContext
from bot.domain.access import Scope
from bot.domain.plans import ItemStatus, PlanReport
from bot.domain.request_models import ResponseStatus, RuleKind
from bot.domain.values import parse_id
from bot.i18n import Raw, Translator
from handlers.common import (
    PRIVATE,
    alert,
    escape,
    keyboard,
    number_argument,
    reply,
    require_viewer,
    split_message,
)
from handlers.request_cards import party_label

BUTTON = re.compile(r"^plan:([0-9]{1,19})$")
SHOWN_OCCURRENCES = 2  # the latest ones of each item; the export has them all


def rule_label(t: Translator, status: ItemStatus) -> str:
    item = status.item
    if item.rule_kind is RuleKind.DATE:
        return t.gettext("One deadline")
    if item.rule_kind is RuleKind.PERMANENT:
        return t.gettext("Permanent; status reports: {rule}", rule=item.rule)
    return t.gettext("Recurring: {rule}", rule=item.rule)


def plan_lines(t: Translator, report: PlanReport, timezone: str, now: datetime) -> list[str]:
    lines = [
        t.gettext(
            "<b>Action plan #{number}: {title}</b>",
            number=str(report.plan.id),
            title=report.plan.title,
        ),
        t.gettext("✅ submitted · ⌛ late · ⏳ pending · ⚠️ overdue · — not applicable"),
    ]
    for status in report.items:
        item = status.item
        lines += ["", f"<b>{escape(item.ref)}. {escape(item.title)}</b>", rule_label(t, status)]
        if not status.occurrences:
            lines.append(t.gettext("No obligation yet."))
        for occurrence in list(reversed(status.occurrences))[:SHOWN_OCCURRENCES]:
            marks = []
            for response in occurrence.responses:
                if response.status is ResponseStatus.SUBMITTED:
                    mark = "✅"
                elif response.status is ResponseStatus.LATE:
                    mark = "⌛"
                elif response.status is ResponseStatus.NOT_APPLICABLE:
                    mark = "—"
                elif occurrence.request.deadline <= now:
                    mark = "⚠️"
                else:
                    mark = "⏳"
                marks.append(f"{mark} {party_label(t, response.party, occurrence)}")
            lines.append(
                t.gettext(
                    "Due {deadline} (request #{number}): {parties}",
                    deadline=t.datetime(occurrence.request.deadline, timezone),
                    number=str(occurrence.request.id),
                    parties=Raw(", ".join(marks)),
                )
            )
    return lines


async def _show(update: Update, context: ConveneContext, plan_id: int, scope: Scope) -> None:
    t = context.t
    report = await context.services.plans.report(plan_id, scope)
    if report is None:
        await reply(update, t.gettext("There is no action plan #{number}.", number=str(plan_id)))
        return
    account = context.account
    timezone = (account.timezone if account else None) or report.plan.timezone
    now = context.services.clock.now()
    for part in split_message(plan_lines(t, report, timezone, now)):
        await reply(update, part)


async def plan_command(update: Update, context: ConveneContext) -> None:
    """List the action plans, or show one: `/plan NUMBER`."""
    scope = await require_viewer(update, context)
    if scope is None:
        return
    t = context.t
    args = context.args or []
    if args:
        number = await number_argument(
            update, context, t.gettext("Usage: /plan, or /plan NUMBER for one plan.")
        )
        if number is not None:
            await _show(update, context, number, scope)
        return
    plans = await context.services.plans.listing()
    if not scope.everything:
        plans = [p for p in plans if await context.services.plans.report(p.id, scope)]
    if not plans:
        await reply(
            update,
            t.gettext("No action plans yet. Import one with: convene plan import FILE"),
        )
        return
    buttons = [[(f"#{plan.id} {plan.title[:50]}", f"plan:{plan.id}")] for plan in plans[:30]]
    await reply(update, t.gettext("<b>Action plans</b>"), reply_markup=keyboard(buttons))


async def on_button(update: Update, context: ConveneContext) -> None:
    """Show the plan pressed in the list."""
    query = update.callback_query
    assert query is not None
    scope = await require_viewer(update, context)
    if scope is None:
        return
    match = BUTTON.match(query.data or "")
    number = parse_id(match.group(1)) if match else None
    if number is None:
        await alert(update, context.t.gettext("This button is no longer valid."))
        return
    await query.answer()
    await _show(update, context, number, scope)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("plan", plan_command, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^plan:"))
