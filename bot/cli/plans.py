"""Action plans from the command line.

convene plan import FILE.yaml|toml|csv [--slug S --title T --timezone TZ --locale L]
convene plan list
convene plan status ID
(Their export, `convene export plan ID`, is in bot/cli/record.py.)
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from bot.cli.common import Commands, Parsers, fail
from bot.cli.input import InputError, read_data_file, read_text, row_number
from bot.config import Settings


def add_plan(sub: Any) -> None:
    plan = sub.add_parser("plan", help="action plans").add_subparsers(dest="action", required=True)
    imported = plan.add_parser("import", help="import or update a plan from YAML, TOML or CSV")
    imported.add_argument("file")
    imported.add_argument("--slug", help="for CSV: the plan's short name")
    imported.add_argument("--title", help="for CSV: the plan's title")
    imported.add_argument("--timezone", help="for CSV (default CONVENE_TIMEZONE)")
    imported.add_argument("--locale", default="en", help="for CSV: language of the texts")
    plan.add_parser("list")
    plan.add_parser("status").add_argument("plan_id", type=row_number)


def _plans(settings: Settings, db: Any, clock: Any) -> Any:
    from bot.domain.plans import Plans
    from bot.services import planner_for

    return Plans(db, clock, planner_for(settings))


async def plan_import(
    args: argparse.Namespace, settings: Settings, db: Any, roster: Any, clock: Any
) -> int:
    from bot.domain.plan_specs import PlanError, plan_spec, plan_spec_from_csv

    path = Path(args.file)
    plans = _plans(settings, db, clock)
    try:
        if path.suffix.lower() == ".csv":
            if not args.slug:
                return fail("a CSV plan needs --slug (and usually --title)")
            text = await asyncio.to_thread(read_text, str(path))
            spec = plan_spec_from_csv(
                text,
                slug=args.slug,
                title=args.title,
                timezone=args.timezone or settings.timezone,
                locale=args.locale,
                now=clock.now(),
            )
        else:
            values = await asyncio.to_thread(read_data_file, str(path))
            spec = plan_spec(values, clock.now(), args.timezone or settings.timezone)
        result = await plans.import_plan(spec)
    except PlanError as error:
        raise InputError(f"{path}: {error}") from None
    print(
        f"Plan #{result.plan_id} {spec.title!r}: {result.created} items added, {result.updated} updated."
    )
    print(f"Obligations created: {result.obligations} (reminders planned).")
    for ref in result.without_deadline:
        print(f"Item {ref}: its date has passed; no obligation was created.")
    return 0


async def plan_list(
    args: argparse.Namespace, settings: Settings, db: Any, roster: Any, clock: Any
) -> int:
    plans = _plans(settings, db, clock)
    found = await plans.listing()
    for plan in found:
        print(f"{plan.id}\t{plan.slug}\t{plan.title}")
    print(f"({len(found)} plan{'s' if len(found) != 1 else ''})")
    return 0


async def plan_status(
    args: argparse.Namespace, settings: Settings, db: Any, roster: Any, clock: Any
) -> int:
    from bot.domain.exports import plan_sheets
    from bot.domain.tables import cell_text

    plans = _plans(settings, db, clock)
    report = await plans.report(args.plan_id)
    if report is None:
        return fail(f"there is no action plan #{args.plan_id}")
    rows = plan_sheets(report, clock.now())["Obligations"]
    for row in rows:
        print("\t".join(cell_text(value) for value in row[:4] + row[5:8]))
    return 0


PARSERS: Parsers = {"plan": add_plan}

COMMANDS: Commands = {
    ("plan", "import"): plan_import,
    ("plan", "list"): plan_list,
    ("plan", "status"): plan_status,
}
