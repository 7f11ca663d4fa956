"""The bot as its own process (`python -m bot run`), and waiting for what it does."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from tests.auxil.fake_bot_api import TOKEN

ROOT = Path(__file__).resolve().parents[2]
WAIT = 30.0  # an upper bound for a slow CI machine, not an expected duration


async def until(condition: Callable[[], bool], what: str) -> None:
    """Wait for the bot's answer; fail with `what` if it never comes."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def bot_process(
    url: str, database_url: str, cwd: Path, extra_env: dict[str, str] | None = None
) -> AsyncIterator[None]:
    """`python -m bot run` against the fake; stopped with Ctrl-C, which it must survive
    cleanly, without the token ever reaching its output."""
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "CONVENE_TELEGRAM_API_URL": url,
        "CONVENE_DATABASE_URL": database_url,
        "CONVENE_ADMINS": "",
        "PYTHONPATH": str(ROOT),
        **(extra_env or {}),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run",
        cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        yield
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(process.wait(), WAIT)
            except TimeoutError:
                process.kill()
        output = (await process.stdout.read()).decode() if process.stdout else ""
    assert process.returncode == 0, output
    assert TOKEN not in output  # the token never reaches the logs
