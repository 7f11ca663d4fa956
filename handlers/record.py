"""The official record for the secretariat: `/audit` and `/proof` (proof of notification)."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

from telegram import InputFile, Update
from telegram.ext import Application, CommandHandler

from bot.context import ConveneContext
from bot.domain.exports import Export
from bot.i18n import zone
from handlers.common import PRIVATE, number_argument, reply, require_admin, undelivered_lines

logger = logging.getLogger(__name__)

DEFAULT_PERIOD = timedelta(days=30)


def _day(text: str, timezone: str) -> datetime | None:
    try:
        day = datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        return None
    return datetime.combine(day, time(0), tzinfo=zone(timezone))


async def _send_tables(context: ConveneContext, user_id: int, made: Export, caption: str) -> None:
    csv_file, xlsx_file = await made.files()
    await context.bot.send_document(
        user_id, InputFile(csv_file, filename=f"{made.name}.csv"), caption=caption
    )
    await context.bot.send_document(user_id, InputFile(xlsx_file, filename=f"{made.name}.xlsx"))


async def audit(update: Update, context: ConveneContext) -> None:
    """The audit log of a period as CSV and XLSX: `/audit [FROM [TO]]` (default 30 days)."""
    if await require_admin(update, context) is None:
        return
    user = update.effective_user
    assert user is not None
    t, services = context.t, context.services
    timezone = context.timezone
    args = context.args or []
    now = services.clock.now()
    start, end = now - DEFAULT_PERIOD, now
    if args:
        parsed = [day for a in args[:2] if (day := _day(a, timezone)) is not None]
        if len(args) > 2 or len(parsed) != len(args):
            await reply(
                update,
                t.gettext(
                    "Usage: /audit, or /audit FROM [TO] with dates like 2026-11-01 (TO included)."
                ),
            )
            return
        start = parsed[0]
        if len(parsed) == 2:
            end = parsed[1] + timedelta(days=1)
    # Up to now, inclusive: what happened this very second is part of the period.
    made = await services.exports.audit_log(
        start, end if args[1:] else None, timezone, actor=user.id
    )
    await _send_tables(
        context,
        user.id,
        made,
        t.ngettext(
            "Audit log from {start} to {end}: {n} entry.",
            "Audit log from {start} to {end}: {n} entries.",
            made.rows,
            start=t.datetime(start, timezone),
            end=t.datetime(end, timezone),
        ),
    )


async def proof(update: Update, context: ConveneContext) -> None:
    """Proof of notification for one notice: `/proof NOTICE`."""
    if await require_admin(update, context) is None:
        return
    user = update.effective_user
    assert user is not None
    t, services = context.t, context.services
    number = await number_argument(
        update,
        context,
        t.gettext("Usage: /proof NUMBER, the number of a notice (see /status of a meeting)."),
    )
    if number is None:
        return
    found = await services.exports.proof(number, context.timezone, actor=user.id)
    if found is None:
        await reply(update, t.gettext("There is no notice #{number}.", number=str(number)))
        return
    made, report = found
    failed = report.failed
    await _send_tables(
        context,
        user.id,
        made,
        t.gettext(
            "Proof of notification, notice #{number}: {total} recipients, {delivered} "
            "delivered, {acknowledged} acknowledged, {answered} answered.",
            number=str(number),
            total=len(report.rows),
            delivered=report.delivered,
            acknowledged=report.acknowledged,
            answered=report.answered,
        ),
    )
    if failed:  # beside the files, not in a caption (at most 1,024 characters)
        await reply(update, "\n".join(undelivered_lines(t, failed)).strip())


def register(app: Application) -> None:
    app.add_handler(CommandHandler("audit", audit, filters=PRIVATE))
    app.add_handler(CommandHandler("proof", proof, filters=PRIVATE))
