"""Concurrent update processing keeps each person's updates in order."""

from __future__ import annotations

import asyncio

from telegram import Update

from bot.updates import PerUserUpdateProcessor
from tests.auxil.harness import Person, message_update


async def test_one_persons_updates_stay_in_order_others_run_alongside() -> None:
    processor = PerUserUpdateProcessor(8)
    log: list[str] = []
    release = asyncio.Event()

    async def handle(name: str, wait: bool) -> None:
        log.append(f"start {name}")
        if wait:
            await release.wait()
        log.append(f"end {name}")

    ana, marko = Person(1, "Ana"), Person(2, "Marko")

    def update(person: Person) -> Update:
        return Update.de_json(message_update(person, "hi"), None)  # type: ignore[arg-type]

    first = asyncio.create_task(processor.process_update(update(ana), handle("ana-1", True)))
    second = asyncio.create_task(processor.process_update(update(ana), handle("ana-2", False)))
    other = asyncio.create_task(processor.process_update(update(marko), handle("marko", False)))
    await other  # not held up by Ana's slow first update
    assert log == ["start ana-1", "start marko", "end marko"]
    release.set()
    await asyncio.gather(first, second)
    assert log[3:] == ["end ana-1", "start ana-2", "end ana-2"]
    assert processor._locks == {}
