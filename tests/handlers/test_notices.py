"""Notices (handlers/notices.py) and their delivery to a meeting's invitees: `/announce`,
receipts, a blocked bot, floods, a crash mid-broadcast; through the real Application, on SQLite
and PostgreSQL."""

from __future__ import annotations

import io
from datetime import timedelta

import sqlalchemy as sa
from openpyxl import load_workbook

from bot.delivery import CLAIM_LEASE
from bot.domain.models import Audience, DeliveryState, MemberStatus
from storage.schema import deliveries
from tests.auxil.harness import Harness, Person
from tests.auxil.meetings import announce, spec
from tests.auxil.meetings import file_bytes as _file_bytes
from tests.auxil.people import ADMIN, ANA, GIORGI, LIDIJA, MARKO, add_member, delegation
from tests.auxil.reading import t
from tests.conftest import ADMIN_ID


async def test_a_member_who_blocked_the_bot_is_marked_unreachable(bot: Harness) -> None:
    ids = await delegation(bot)
    bot.api.fail(GIORGI.id, 403, "Forbidden: bot was blocked by the user")
    meeting = await announce(bot)
    async with bot.services.db.transaction() as tx:
        states = {
            row.telegram_user_id: row.state
            for row in await tx.connection.execute(sa.select(deliveries))
        }
        giorgi = await tx.members.get(ids["giorgi"])
    assert states[GIORGI.id] == DeliveryState.UNREACHABLE.value
    assert {states[p.id] for p in (ANA, MARKO, LIDIJA)} == {DeliveryState.SENT.value}
    assert giorgi is not None and giorgi.status is MemberStatus.UNREACHABLE
    # The next notice records him as unreachable without trying.
    await bot.services.meetings.cancel(meeting, cancelled_by=ADMIN_ID)
    refused = len(bot.api.refused)
    await bot.deliver()
    assert len(bot.api.refused) == refused


async def test_a_429_storm_delays_but_loses_nothing(bot: Harness) -> None:
    await delegation(bot)
    bot.api.fail(None, 429, "Too Many Requests: retry after 5", retry_after=5, times=6)
    bot.api.fail(MARKO.id, 502, "Bad Gateway", times=2)
    notice_id, total = await bot.services.notices.announce(
        __import__("bot.domain.notices", fromlist=["AnnouncementSpec"]).AnnouncementSpec(
            body="The conclusions of the meeting are attached.", audience=Audience(everyone=True)
        ),
        created_by=ADMIN_ID,
        progress_chat_id=None,
    )
    await bot.deliver()
    assert total == 4
    for person in (ANA, GIORGI, MARKO, LIDIJA):
        assert len(bot.api.sent(person.id)) == 1, person
    assert bot.worker.stats.flood_waits == 6
    counts = await bot.services.notices.counts(notice_id)
    assert (counts.sent, counts.failed, counts.pending) == (4, 0, 0)


async def test_a_crash_mid_broadcast_then_a_restart_finishes_it(bot: Harness) -> None:
    await delegation(bot)
    extra = [Person(600 + i, f"Member{i}", "Test", "en") for i in range(12)]
    for person in extra:
        await add_member(bot, person, "AL", "sq", "Europe/Tirane")
    await bot.services.meetings.announce(spec(), created_by=ADMIN_ID)
    # Five sends go out, a sixth is in flight (claimed) when the process dies.
    for _ in range(5):
        claimed = await bot.worker._claim()
        await bot.worker.send(claimed)
    in_flight = await bot.worker._claim()
    assert in_flight is not None
    await bot.api.handle("sendMessage", {"chat_id": in_flight.chat_id, "text": "in flight"})
    await bot.stop()
    # On PostgreSQL another process may hold a claim: it is released once its lease is over.
    bot.clock.advance(CLAIM_LEASE + timedelta(seconds=1))

    restarted = await Harness(bot.settings, bot.clock, bot.api).start()
    try:
        await restarted.deliver()
        everyone = [ANA, GIORGI, MARKO, LIDIJA, *extra]
        for person in everyone:
            texts = [c.text for c in bot.api.sent(person.id)]
            expected = 2 if person.id == in_flight.telegram_user_id else 1
            assert len(texts) == expected, (person, texts)
        async with restarted.services.db.transaction() as tx:
            states = [
                row.state for row in await tx.connection.execute(sa.select(deliveries.c.state))
            ]
        assert states == [DeliveryState.SENT.value] * len(everyone)
    finally:
        await restarted.stop()
        await bot.start()  # the fixture stops it again


async def test_an_announcement_with_a_document_acknowledgment_and_protection(bot: Harness) -> None:
    await delegation(bot)
    await bot.say(ADMIN, "/announce team=criminal country=XX")
    assert "“XX” is not a two-letter ISO country code." in bot.last_text(ADMIN)
    await bot.say(ADMIN, "/announce team=criminal ack restricted")
    await bot.say(ADMIN, "The conclusions of the third meeting are attached.")
    await bot.feed(_document_update(ADMIN, "conclusions.pdf"))
    assert "Preview" in bot.last_text(ADMIN)
    await bot.press(ADMIN, "ann:send")
    await bot.deliver()
    text = bot.api.sent(ANA.id)[-1]
    assert text.params.get("protect_content") is True
    sr = t(bot, "sr_Cyrl")
    ack_label, ack_data = text.buttons[0]
    assert ack_label == sr.gettext("Acknowledge receipt")
    document = bot.api.sent(ANA.id, "sendDocument")[-1]
    assert document.params["document"] == "file-conclusions"
    assert document.params.get("protect_content") is True
    await bot.press(MARKO, ack_data)  # not his
    assert bot.alerts()[-1] == t(bot, "mk").gettext("This button is not valid for you.")
    await bot.press(ANA, ack_data)
    async with bot.services.db.transaction() as tx:
        acknowledged = (
            (
                await tx.connection.execute(
                    sa.select(deliveries.c.telegram_user_id).where(
                        deliveries.c.acknowledged_at.is_not(None)
                    )
                )
            )
            .scalars()
            .all()
        )
    assert acknowledged == [ANA.id]


def _document_update(person: Person, name: str) -> dict[str, object]:
    from tests.auxil.harness import message_update

    update = message_update(person, "")
    message = update["message"]
    del message["text"]
    message["document"] = {"file_id": "file-conclusions", "file_unique_id": "u1", "file_name": name}
    return update


async def test_conclusions_to_a_meetings_invitees_show_receipts_in_its_status(
    bot: Harness,
) -> None:
    ids = await delegation(bot)
    meeting = await announce(bot, audience=Audience(members=(ids["ana"], ids["giorgi"])))
    await bot.say(ADMIN, "/announce meeting=999")
    assert bot.last_text(ADMIN) == "There is no meeting #999."
    await bot.say(ADMIN, f"/announce meeting={meeting} ack")
    await bot.say(ADMIN, "The conclusions are adopted.")
    await bot.press(ADMIN, "ann:nodoc")
    await bot.press(ADMIN, "ann:send")
    await bot.deliver()
    assert "conclusions" in bot.last_text(GIORGI)
    assert all("conclusions" not in text for text in bot.replies(MARKO))  # not invited
    ack = bot.last_buttons(ANA)[0][1]
    await bot.press(ANA, ack)
    await bot.press(ANA, ack)  # twice: the first time counts
    await bot.say(ADMIN, f"/status {meeting}")
    assert "<b>Receipts</b>: 1 of 2 acknowledged." in bot.last_text(ADMIN)
    await bot.say(ADMIN, f"/export {meeting}")
    raw = bot.api.sent(ADMIN.id, "sendDocument")[-1].params["document"]
    log = list(
        load_workbook(io.BytesIO(_file_bytes(raw)))["Delivery log"].iter_rows(values_only=True)
    )
    receipts = [row for row in log[1:] if row[1] == "announcement"]
    assert len(receipts) == 2 and sum(1 for row in receipts if row[7]) == 1


async def test_a_revoked_member_is_not_sent_what_was_queued_for_them(bot: Harness) -> None:
    ids = await delegation(bot)
    await bot.services.meetings.announce(spec(), created_by=ADMIN_ID)
    await bot.services.roster.revoke(ids["giorgi"], ADMIN_ID)
    before = len(bot.api.sent(GIORGI.id))
    await bot.deliver()
    assert len(bot.api.sent(GIORGI.id)) == before
    async with bot.services.db.transaction() as tx:
        state = (
            await tx.connection.execute(
                sa.select(deliveries.c.state).where(deliveries.c.telegram_user_id == GIORGI.id)
            )
        ).scalar_one()
    assert state == DeliveryState.FAILED.value


async def test_a_notices_next_part_goes_before_the_next_recipients_first(bot: Harness) -> None:
    await delegation(bot)
    await bot.services.meetings.announce(spec(), created_by=ADMIN_ID)
    first = await bot.worker._claim()
    await bot.worker.send(first)  # the card; its calendar file is due 1.1 s later
    bot.clock.advance(timedelta(seconds=2))
    follow_up = await bot.worker._claim()
    assert follow_up.id == first.id and follow_up.parts_sent == 1
