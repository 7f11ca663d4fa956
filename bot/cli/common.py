"""What several commands need: their signature, the database opened with a failure said in
one line, the one-line error exit, and rows printed as a table, CSV or JSON."""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from bot.cli.input import InputError
from bot.config import Settings, redact_url

logger = logging.getLogger(__name__)

# A command: (args, settings, database, roster, clock) -> exit code. The database is opened
# (and migrated, but for `db …`) before it runs, and closed after.
Command = Callable[[argparse.Namespace, Settings, Any, Any, Any], Awaitable[int]]
# (command, action) -> what runs it; action is None for a command without one (`announce`).
Commands = dict[tuple[str, str | None], Command]
# A top-level command's name -> the function that adds its parser to the subparsers.
Parsers = dict[str, Callable[[Any], None]]


def fail(message: str) -> int:
    """Say a mistake in one line on stderr; the exit code is 1."""
    print(f"error: {message}", file=sys.stderr)
    return 1


async def opened(db: Any, settings: Settings, step: Awaitable[Any]) -> Any:
    """Open (and migrate) the database; a failure is said in one line."""
    from bot.services import SchemaTooNewError

    url = redact_url(settings.database_url)
    try:
        return await step
    except SchemaTooNewError as error:
        raise InputError(f"CONVENE_DATABASE_URL {url}: {error}") from None
    except Exception as error:  # any driver's error (refused, unknown host, no such file …)
        logger.debug("cannot open the database", exc_info=True)
        reason = (
            " ".join(str(getattr(error, "orig", None) or error).split()) or type(error).__name__
        )
        raise InputError(
            f"CONVENE_DATABASE_URL: cannot open the database {url}: {reason[:200]}"
        ) from None


def print_rows(
    rows: Sequence[Mapping[str, Any]], fields: list[str], columns: list[str], form: str
) -> None:
    """`rows` as JSON or CSV (every field), or as a table of `columns` aligned by width."""
    if form == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    elif form == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
        sys.stdout.write(out.getvalue())
    else:
        widths = {c: max([len(c)] + [len(str(row[c] or "")) for row in rows]) for c in columns}
        print("  ".join(c.ljust(widths[c]) for c in columns))
        for row in rows:
            print("  ".join(str(row[c] or "").ljust(widths[c]) for c in columns))
