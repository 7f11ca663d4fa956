"""The record from the command line: exports (audited, as `/export` is), the audit log and
the proof of notification.

convene export meeting|request|plan ID [--format csv|xlsx] [--output FILE]
convene export proof NOTICE [--format csv|xlsx] [--output FILE]
convene export audit [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--format csv|xlsx] [--output FILE]
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import datetime, time
from typing import Any

from bot.cli.common import Commands, Parsers
from bot.cli.input import InputError, row_number
from bot.config import Settings


def add_export(sub: Any) -> None:
    export = sub.add_parser("export", help="exports").add_subparsers(dest="action", required=True)
    for kind, default in (
        ("meeting", "meeting-ID"),
        ("request", "request-ID"),
        ("plan", "plan-ID"),
        ("proof", "proof-notice-ID"),
    ):
        one = export.add_parser(
            kind, help="proof of notification of one notice" if kind == "proof" else None
        )
        one.add_argument("number", type=row_number)
        one.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        one.add_argument("--output", help=f"file to write (default {default}.FORMAT)")
    audit = export.add_parser("audit", help="the audit log of a period")
    audit.add_argument("--from", dest="start", help="first day, YYYY-MM-DD (default 30 days ago)")
    audit.add_argument("--to", dest="end", help="last day, YYYY-MM-DD, included (default today)")
    audit.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    audit.add_argument("--output", help="file to write (default audit.FORMAT)")


def day(option: str, text: str | None, timezone: str) -> datetime | None:
    """The start of a day given as YYYY-MM-DD, in `timezone`."""
    from bot.i18n import zone

    if not text:
        return None
    try:
        found = datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise InputError(f"{option}: {text!r} is not a date such as 2026-11-01") from None
    return datetime.combine(found, time(0), tzinfo=zone(timezone))


async def export(
    args: argparse.Namespace, settings: Settings, db: Any, roster: Any, clock: Any
) -> int:
    """`export meeting|request|plan|proof N` and `export audit`: the domain's one export
    operation (audited, as `/export` is), written to a file."""
    from datetime import timedelta

    from bot.domain.audit import AuditLog
    from bot.domain.exports import DEFAULT_AUDIT_PERIOD, ExportKind, Exports
    from bot.domain.plans import Plans
    from bot.domain.reports import Reports
    from bot.domain.requests import Requests
    from bot.services import planner_for

    planner = planner_for(settings)
    exports = Exports(
        clock,
        Reports(db, clock),
        Requests(db, clock, planner),
        Plans(db, clock, planner),
        AuditLog(db, clock),
    )
    kind = ExportKind(args.action)
    if kind is ExportKind.AUDIT:
        start = day("--from", args.start, settings.timezone)
        end = day("--to", args.end, settings.timezone)
        start = start or clock.now() - DEFAULT_AUDIT_PERIOD
        end = end + timedelta(days=1) if end else None
        output = _output(args, "audit")
        made = await exports.audit_log(start, end, settings.timezone)
    else:
        output = _output(
            args, f"{'proof-notice' if kind is ExportKind.PROOF else kind.value}-{args.number}"
        )
        found = await exports.export(kind, args.number, timezone=settings.timezone)
        if found is None:
            what = (
                "notice" if kind is ExportKind.PROOF else kind.value.replace("plan", "action plan")
            )
            raise InputError(f"there is no {what} #{args.number}")
        made = found
    try:
        await asyncio.to_thread(output.write_bytes, made.content(args.format))
    except OSError as error:
        raise InputError(f"--output: cannot write {output} ({error.strerror})") from None
    counted = {
        ExportKind.MEETING: "invited",
        ExportKind.REQUEST: "parties",
        ExportKind.PLAN: "obligations",
        ExportKind.PROOF: "recipients",
        ExportKind.AUDIT: "entries",
    }[kind]
    print(f"Wrote {output} ({made.rows} {counted}).")
    return 0


def _output(args: argparse.Namespace, name: str) -> Any:
    """The file to write, checked before anything is exported (and audited)."""
    from pathlib import Path

    output = Path(args.output or f"{name}.{args.format}")
    if output.is_dir():
        raise InputError(f"--output: {output} is a folder; name a file")
    folder = output.parent
    if not folder.is_dir():
        raise InputError(f"--output: there is no folder {folder}")
    import os

    if not os.access(folder, os.W_OK):
        raise InputError(f"--output: cannot write in {folder}")
    return output


PARSERS: Parsers = {"export": add_export}

COMMANDS: Commands = {
    ("export", "meeting"): export,
    ("export", "request"): export,
    ("export", "plan"): export,
    ("export", "proof"): export,
    ("export", "audit"): export,
}
