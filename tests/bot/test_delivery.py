"""The delivery worker through outages: Telegram unreachable, failing, flooding; the
database refusing writes or dropping its connections. Nobody is lost, nobody told twice
but for a send in flight, and what did fail is reported and can be sent again."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from bot.delivery import PAUSE_AFTER
from bot.domain.models import Audience
from bot.domain.notices import AnnouncementSpec
from storage.schema import deliveries
from tests.auxil.data import insert_member
from tests.auxil.harness import Harness, Person
from tests.conftest import ADMIN_ID

ADMIN = Person(ADMIN_ID, "Dragana", "Stojanović", "en")
# A delegation as it is: several countries and languages, one of them from Bosnia & Herzegovina.
MEMBERS = [
    (Person(700, "Amra", "Hadžić", "bs"), "BA", "bs"),
    (Person(701, "Ana", "Petrović", "sr"), "RS", "sr_Cyrl"),
    (Person(702, "Giorgi", "Beridze", "ka"), "GE", "ka"),
    (Person(703, "Marko", "Marković", "mk"), "MK", "mk"),
    *[(Person(710 + i, f"Expert{i}", "Test", "sq"), "AL", "sq") for i in range(16)],
]


async def team(bot: Harness) -> list[Person]:
    await bot.services.roster.create_team("Regional expert team – criminal matters", "criminal")
    await bot.say(ADMIN, "/start")
    async with bot.services.db.transaction() as tx:
        for person, country, locale in MEMBERS:
            await insert_member(
                tx,
                person.id,
                f"{person.first_name} {person.last_name}",
                country,
                bot.clock.now(),
                locale=locale,
                team_slug="criminal",
            )
    return [person for person, _, _ in MEMBERS]


async def announce(bot: Harness, text: str = "The minutes are attached.") -> int:
    notice_id, _ = await bot.services.notices.announce(
        AnnouncementSpec(text, Audience(teams=("criminal",))),
        created_by=ADMIN_ID,
        progress_chat_id=None,
    )
    return notice_id


async def states(bot: Harness, notice_id: int) -> dict[int, tuple[str, str | None]]:
    async with bot.services.db.transaction() as tx:
        rows = await tx.connection.execute(
            sa.select(
                deliveries.c.telegram_user_id, deliveries.c.state, deliveries.c.last_error
            ).where(deliveries.c.notice_id == notice_id)
        )
        return {row.telegram_user_id: (row.state, row.last_error) for row in rows}


def received(bot: Harness, people: list[Person], text: str) -> dict[int, int]:
    return {p.id: sum(text in c.text for c in bot.api.sent(p.id)) for p in people}


async def send_some(bot: Harness, count: int) -> None:
    for _ in range(count):
        claimed = await bot.worker._claim()
        assert claimed is not None
        await bot.worker.send(claimed)


async def eventually(check: Callable[[], bool], seconds: float = 10.0) -> None:
    """Wait for something the worker does in the background (not for time to pass)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "it did not happen"
        await asyncio.sleep(0.01)


@pytest.mark.parametrize("mode", ["refuse", "502", "timeout"])
async def test_ten_minutes_of_telegram_away_mid_broadcast_lose_nobody(
    bot: Harness, mode: str
) -> None:
    people = await team(bot)
    notice_id = await announce(bot)
    await send_some(bot, 5)
    bot.api.go_down(mode, until=bot.clock.now() + timedelta(minutes=10), clock=bot.clock)

    await bot.deliver()  # the clock moves to each retry, as time would

    assert bot.api.outage_refused  # it was really away
    assert set(received(bot, people, "minutes are attached").values()) == {1}
    assert {state for state, _ in (await states(bot, notice_id)).values()} == {"sent"}
    # The record counts the tries, the one that went through included (the proof shows it).
    async with bot.services.db.transaction() as tx:
        tries = {
            d.telegram_user_id: d.attempts for d in await tx.deliveries.of_notices([notice_id])
        }
    assert min(tries.values()) == 1  # the five sent before the outage
    assert max(tries.values()) > 1  # the others met it


async def test_a_stretch_of_429s_delays_the_broadcast_and_loses_nobody(bot: Harness) -> None:
    people = await team(bot)
    notice_id = await announce(bot)
    await send_some(bot, 3)
    # Telegram's flood control answers the next 30 sends, to anyone, with "wait 5 s".
    bot.api.fail(None, 429, "Too Many Requests: retry after 5", retry_after=5, times=30)

    await bot.deliver()

    assert len(bot.api.refused) == 30
    assert set(received(bot, people, "minutes are attached").values()) == {1}
    assert {state for state, _ in (await states(bot, notice_id)).values()} == {"sent"}


async def test_the_lane_pauses_while_telegram_is_away_and_resumes_by_itself(bot: Harness) -> None:
    people = await team(bot)
    worker = bot.worker
    worker._probe_first = 0.01  # seconds between probes, doubling; 1 s in production
    bot.api.go_down("refuse")
    notice_id = await announce(bot)
    await worker.start()
    try:
        await eventually(lambda: worker.waiting_since is not None)
        await eventually(lambda: bot.api.outage_refused.count("getMe") >= 3)  # probing
        # The lane stopped claiming, and the rows it had claimed went back untried: only
        # the sends already under way met the outage.
        await eventually(lambda: not worker.stats.inflight)
        tried = bot.api.outage_refused.count("sendMessage")
        assert PAUSE_AFTER <= tried <= PAUSE_AFTER + 4  # not the 16 claimed, nor all 20
        await asyncio.sleep(0.1)
        assert bot.api.outage_refused.count("sendMessage") == tried
        assert {state for state, _ in (await states(bot, notice_id)).values()} == {"pending"}

        bot.api.restore()
        await eventually(lambda: worker.waiting_since is None)
        bot.clock.advance(timedelta(minutes=5))  # the rows tried meanwhile are due again
        worker.wake()
        await eventually(lambda: all(n == 1 for n in received(bot, people, "minutes").values()))
    finally:
        await worker.stop()
    assert set(received(bot, people, "minutes are attached").values()) == {1}


async def test_the_progress_message_says_it_is_waiting_for_telegram(bot: Harness) -> None:
    await team(bot)
    await bot.say(ADMIN, "/announce team=criminal")
    await bot.say(ADMIN, "Please read the attached agenda.")
    await bot.press(ADMIN, "ann:nodoc")
    await bot.press(ADMIN, "ann:send")
    bot.api.go_down("refuse")
    await send_some(bot, PAUSE_AFTER)
    assert bot.worker.waiting_since is not None
    bot.api.restore()
    await bot.app.bot_data.progress.tick()
    progress = bot.api.of("editMessageText")[-1].text
    assert "Telegram is not answering at the moment" in progress


class WriteFaults:
    """The real database, refusing the next `n` transactions once armed, as a database
    that is momentarily read-only or locked does."""

    def __init__(self, bot: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
        self.db = bot.services.db
        self.original = self.db.transaction
        self.refusals = 0
        self.refused = 0
        monkeypatch.setattr(self.db, "transaction", self.transaction)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Any]:
        if self.refusals:
            self.refusals -= 1
            self.refused += 1
            raise OperationalError("UPDATE deliveries …", {}, Exception("database is locked"))
        async with self.original() as tx:
            yield tx


async def test_a_send_whose_outcome_cannot_be_written_is_recorded_not_repeated(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = await team(bot)
    notice_id = await announce(bot)
    faults = WriteFaults(bot, monkeypatch)
    handle = bot.api.handle

    async def handle_then_refuse_writes(method: str, params: dict[str, Any]) -> Any:
        result = await handle(method, params)
        if method == "sendMessage" and int(params["chat_id"]) == people[0].id:
            faults.refusals = 4  # the database refuses the bookkeeping of this send
        return result

    monkeypatch.setattr(bot.api, "handle", handle_then_refuse_writes)
    waits: list[float] = []

    async def no_wait(seconds: float) -> None:
        waits.append(seconds)

    bot.worker._sleep = no_wait
    await bot.deliver()
    await bot.deliver()  # and again: nothing is released for a second send

    assert faults.refused == 4
    assert waits[:4] == [0.5, 1.0, 2.0, 4.0]
    assert set(received(bot, people, "minutes are attached").values()) == {1}
    assert {state for state, _ in (await states(bot, notice_id)).values()} == {"sent"}


async def test_a_dropped_database_connection_loses_nobody(bot: Harness, database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("dropping a server's connections is a PostgreSQL matter")
    import asyncpg

    people = await team(bot)
    notice_id = await announce(bot)
    await send_some(bot, 4)
    async with bot.services.db.engine.connect() as connection:
        pid = (await connection.exec_driver_sql("SELECT pg_backend_pid()")).scalar_one()
    dsn = database_url.split("?")[0].replace("postgresql+asyncpg://", "postgresql://")
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()

    await bot.deliver()

    assert set(received(bot, people, "minutes are attached").values()) == {1}
    assert {state for state, _ in (await states(bot, notice_id)).values()} == {"sent"}


async def test_what_fails_for_good_is_reported_once_and_can_be_sent_again(bot: Harness) -> None:
    people = await team(bot)
    async with bot.services.db.transaction() as tx:  # the secretariat reads Serbian
        await tx.accounts.set_preferences(ADMIN_ID, bot.clock.now(), locale="sr_Cyrl")
    bot.worker.give_up_after = timedelta(minutes=30)
    amra, ana = people[0], people[1]
    bot.api.fail(ana.id, 400, "Bad Request: message is too long")  # permanent: failed at once
    notice_id = await announce(bot)
    await send_some(bot, 6)  # Amra and four others have it; Ana's was refused
    bot.api.go_down("502")  # and then Telegram answers 502, for good

    await bot.deliver()

    found = await states(bot, notice_id)
    assert found[ana.id] == ("failed", "Message is too long")  # Telegram's words, via PTB
    gave_up = [p for p, (state, _) in found.items() if state == "failed" and p != ana.id]
    assert len(gave_up) == len(people) - 6
    assert all(found[p][1] == "gave up after 0.5 h: Bad Gateway" for p in gave_up)
    # The sender is told once, in their language, with the count, the reasons, the way
    # out; the report is queued like any notice, so it waits for Telegram too.
    bot.api.restore()
    await bot.deliver()
    await bot.deliver()
    reports = [t for t in bot.replies(ADMIN) if t.startswith("⚠️")]
    assert len(reports) == 1
    assert f"Обавештење #{notice_id}" in reports[0]
    assert "Bad Gateway" in reports[0] and "Message is too long" in reports[0]
    assert f"/resend {notice_id}" in reports[0]

    # /status-like views name them with Telegram's reason: /proof of the notice.
    await bot.say(ADMIN, f"/proof {notice_id}")
    assert "Hadžić" not in bot.last_text(ADMIN)  # Amra got it
    assert "Ana Petrović" in bot.last_text(ADMIN)

    # Sent again: exactly those it did not reach, never those it did.
    await bot.say(ADMIN, f"/resend {notice_id}")
    await bot.deliver()
    assert set(received(bot, people, "minutes are attached").values()) == {1}
    assert received(bot, [amra], "minutes are attached") == {amra.id: 1}
    assert {state for state, _ in (await states(bot, notice_id)).values()} == {"sent"}
    # Nothing to send a second time.
    await bot.say(ADMIN, f"/resend {notice_id}")
    assert f"#{notice_id}" in bot.last_text(ADMIN)
    assert len([t for t in bot.replies(ADMIN) if t.startswith("⚠️")]) == 1


async def test_resend_is_for_the_secretariat_and_takes_a_real_number(bot: Harness) -> None:
    people = await team(bot)
    notice_id = await announce(bot)
    await bot.say(people[0], f"/resend {notice_id}")  # Amra reads Bosnian
    bs = bot.services.i18n.translator("bs")
    assert bot.last_text(people[0]) == bs.gettext("You are not allowed to use this command.")
    for bad in ("²", "abc", "99999999999999999999", ""):
        await bot.say(ADMIN, f"/resend {bad}".strip())
        assert "/resend NUMBER" in bot.last_text(ADMIN)
    await bot.say(ADMIN, "/resend 4242")
    assert "#4242" in bot.last_text(ADMIN)
    async with bot.services.db.transaction() as tx:
        assert await tx.deliveries.next_due_at() is not None  # untouched: still queued


async def test_a_failed_row_is_queued_again_from_the_command_line(
    bot: Harness, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    from bot.cli import main

    people = await team(bot)
    bot.api.fail(people[2].id, 400, "Bad Request: message is too long")
    notice_id = await announce(bot)
    await bot.deliver()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CONVENE_DATABASE_URL", bot.settings.database_url)
    assert await asyncio.to_thread(main, ["notice", "resend", str(notice_id)]) == 0
    await bot.deliver()
    assert set(received(bot, people, "minutes are attached").values()) == {1}
    assert await asyncio.to_thread(main, ["notice", "resend", "999"]) == 1


async def test_a_notice_queued_without_a_sender_reports_to_the_admins(bot: Harness) -> None:
    people = await team(bot)
    bot.api.fail(people[3].id, 400, "Bad Request: can't parse entities: unsupported start tag")
    notice_id, _ = await bot.services.notices.announce(
        AnnouncementSpec("From the command line.", Audience(teams=("criminal",))),
        created_by=None,
        progress_chat_id=None,
    )
    await bot.deliver()
    await bot.deliver()
    reports = [t for t in bot.replies(ADMIN) if f"/resend {notice_id}" in t]
    assert len(reports) == 1
    assert "could not be delivered to 1 recipient" in reports[0]


async def test_a_document_gone_from_the_disk_fails_its_part_and_is_reported(
    bot: Harness, tmp_path: Any
) -> None:
    people = await team(bot)
    notice_id, _ = await bot.services.notices.announce(
        AnnouncementSpec(
            "The minutes are attached.",
            Audience(teams=("criminal",)),
            document_name="minutes.pdf",
            document_path=str(tmp_path / "deleted-meanwhile.pdf"),
        ),
        created_by=ADMIN_ID,
        progress_chat_id=None,
    )
    await bot.deliver()
    await bot.deliver()  # the failure report

    assert set(received(bot, people, "minutes are attached").values()) == {1}  # the text
    found = await states(bot, notice_id)
    assert {state for state, _ in found.values()} == {"failed"}
    assert {error for _, error in found.values()} == {"document unreadable: FileNotFoundError"}
    assert [t for t in bot.replies(ADMIN) if t.startswith("⚠️")]
