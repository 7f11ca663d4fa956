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


async def test_one_persons_flood_neither_holds_the_slots_nor_queues_without_end() -> None:
    processor = PerUserUpdateProcessor(2, max_queued=5)
    dropped: list[int] = []

    async def tell(update: Update) -> None:
        assert update.effective_user is not None
        dropped.append(update.effective_user.id)

    processor.on_dropped = tell
    release = asyncio.Event()
    flooder, other = Person(1, "Flood"), Person(2, "Vesna", "Kovač", "hr")

    def update(person: Person) -> Update:
        return Update.de_json(message_update(person, "/help"), None)  # type: ignore[arg-type]

    async def slow() -> None:
        await release.wait()

    async def quick() -> None:
        pass

    flood = [
        asyncio.create_task(processor.process_update(update(flooder), slow())) for _ in range(30)
    ]
    await asyncio.sleep(0)
    # Another person is answered at once: the flooder holds one slot, not both.
    await asyncio.wait_for(processor.process_update(update(other), quick()), 1)
    # Of the flood, five wait their turn; the rest were dropped, with one notice.
    await asyncio.sleep(0)
    assert sum(task.done() for task in flood) == 25
    assert dropped == [1]
    release.set()
    await asyncio.gather(*flood)
    assert processor._locks == {}
