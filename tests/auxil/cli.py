"""`convene` run in process, as the operator would, off the test's event loop."""

from __future__ import annotations

import asyncio

from bot.cli import main
from bot.services import latest_migration

# The newest migration: where `convene db upgrade` takes a database.
HEAD = latest_migration()


async def run(*args: str) -> int:
    """`convene ARGS`; its exit code (an argparse exit is an error of the test)."""
    # main() runs its own event loop; keep it off the test's loop.
    return await asyncio.to_thread(main, list(args))
