"""Reminders and escalations (handlers/reminders.py and the sweep) over time: the cadence
across time zones and holidays, re-planning, downtime, meetings, two processes; through the
real Application, with an injected clock and no sleeping, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest

from bot.config import Settings
from bot.domain.clock import FakeClock
from bot.domain.models import Audience
from bot.i18n import zone
from tests.auxil.fake_bot_api import FakeBotApi
from tests.auxil.harness import Harness, Person
from tests.auxil.meetings import announce, invitation_of
from tests.auxil.people import (
    ADMIN,
    ANA,
    ELENA,
    GIORGI,
    LIDIJA,
    MARKO,
    add_member,
    delegation,
    focal_point,
)
from tests.auxil.reading import t
from tests.auxil.requests import (
    BELGRADE,
    DEADLINE,
    create,
    next_planned,
    planned,
    reminders_to,
    request_spec,
    run_until,
    sweep,
)
from tests.conftest import ADMIN_ID

ZSOFIA = Person(602, "Zsófia", "Kovács", "hu")  # Budapest


# -- the full cadence ----------------------------------------------------------------------------


async def test_full_cadence_of_a_country_request_across_time_zones(bot: Harness) -> None:
    ids = await delegation(bot)
    await focal_point(bot, ELENA, "MK", "mk")
    request_id = await create(bot)

    # Everyone of the three delegations got the card, in their language and time zone.
    for person, locale, tz in [
        (ANA, "sr_Cyrl", "Europe/Belgrade"),
        (LIDIJA, "sr_Latn", "Europe/Belgrade"),
        (GIORGI, "ka", "Asia/Tbilisi"),
        (MARKO, "mk", "Europe/Skopje"),
    ]:
        reader = t(bot, locale)
        card = bot.api.last(person.id)
        assert reader.gettext("📝 <b>Request from the secretariat</b>") in card.text
        assert reader.datetime(DEADLINE, tz) in card.text
        assert [data for _, data in card.buttons] == [
            f"rq:{request_id}:o:0",
            f"rq:{request_id}:o:1",
        ]

    # 7 days, 1 day and 2 hours before, for each of the four: in Tbilisi two of them fall
    # into the night and move to 08:00 there; nobody is asked to answer after the deadline.
    rows = await planned(bot, request_id)
    assert len(rows) == 12
    tbilisi = zone("Asia/Tbilisi")
    georgian = sorted(send for user, _, send, _ in rows if user == GIORGI.id)
    assert georgian == [
        datetime(2026, 12, 4, 8, 0, tzinfo=tbilisi),
        datetime(2026, 12, 10, 8, 0, tzinfo=tbilisi),
        datetime(2026, 12, 10, 20, 0, tzinfo=tbilisi),
    ]
    serbian = sorted(send for user, _, send, _ in rows if user == ANA.id)
    assert serbian == [
        DEADLINE - timedelta(days=7),
        DEADLINE - timedelta(days=1),
        DEADLINE - timedelta(hours=2),
    ]

    # The first reminders go out; Ana answers for Serbia, so Lidija is not reminded again.
    await run_until(bot, DEADLINE - timedelta(days=7))
    reader = t(bot, "sr_Cyrl")
    assert len(reminders_to(bot, ANA, "⏰")) == 1
    assert len(reminders_to(bot, GIORGI, "⏰")) == 0  # still night in Tbilisi
    await bot.press(ANA, f"rq:{request_id}:o:0")
    assert reader.gettext("Saved. You can change it until the deadline.") in bot.alerts()[-1]
    await run_until(bot, datetime(2026, 12, 4, 8, 0, tzinfo=tbilisi))
    assert len(reminders_to(bot, GIORGI, "⏰")) == 1
    # Lidija sees who answered for her delegation.
    await bot.press(LIDIJA, f"rq:{request_id}:v")
    assert "Ana Petrović" in bot.last_text(LIDIJA)
    # Giorgi answers for Georgia before the last day.
    await bot.press(GIORGI, f"rq:{request_id}:o:1")

    await run_until(bot, DEADLINE + timedelta(minutes=1))
    assert len(reminders_to(bot, ANA, "⏰")) == 1
    assert len(reminders_to(bot, LIDIJA, "⏰")) == 1
    assert len(reminders_to(bot, GIORGI, "⏰")) == 1
    assert len(reminders_to(bot, MARKO, "⏰")) == 3  # North Macedonia never answered
    last = reminders_to(bot, MARKO, "⏰")[-1]
    assert t(bot, "mk").datetime(DEADLINE, "Europe/Skopje") in last

    # At the deadline: North Macedonia's focal point, and a digest to the secretariat.
    escalation = bot.api.last(ELENA.id).text
    assert t(bot, "mk").gettext("⚠️ <b>Deadline passed without an answer</b>") in escalation
    assert t(bot, "mk").country("MK") in escalation
    digest = bot.api.last(ADMIN.id)
    assert "Deadline passed" in digest.text and "North Macedonia" in digest.text
    assert "Serbia" not in digest.text.split("have not answered")[1]
    assert digest.buttons == [("Status", f"rqs:{request_id}")]
    await bot.press(ADMIN, f"rqs:{request_id}")
    status = bot.last_text(ADMIN)
    assert "2 of 3 answered" in status and "Ana Petrović" in status
    # Nothing more is sent however often the sweep runs: each reminder once.
    before = len(bot.api.of("sendMessage"))
    for _ in range(3):
        bot.clock.advance(timedelta(hours=1))
        await sweep(bot)
    assert len(bot.api.of("sendMessage")) == before
    # Too late to answer now (late answers are not accepted by this request).
    await bot.press(MARKO, f"rq:{request_id}:o:0")
    assert bot.alerts()[-1] == t(bot, "mk").gettext(
        "The deadline has passed and this request no longer accepts answers. If you "
        "still need to answer, please write to the secretariat."
    )
    assert ids


async def test_a_holiday_of_the_recipients_country_is_skipped(bot: Harness) -> None:
    await bot.services.roster.create_team("Regional expert team – criminal matters", "criminal")
    await bot.say(ADMIN, "/start")
    await add_member(bot, ANA, "RS", "sr_Cyrl", "Europe/Belgrade")
    await add_member(bot, ZSOFIA, "HU", "hu", "Europe/Budapest")
    bot.clock.set(datetime(2027, 1, 2, 9, 0, tzinfo=UTC))
    deadline = datetime(2027, 1, 8, 17, 0, tzinfo=BELGRADE)
    request_id = await create(
        bot,
        audience=Audience(countries=("RS", "HU")),
        deadline=deadline.astimezone(UTC),
        reminder_offsets=(86400,),
        skip_days_off=True,
    )
    rows = {user: send for user, _, send, _ in await planned(bot, request_id)}
    # 7 January is Orthodox Christmas, a public holiday in Serbia: the Serbian reminder
    # moves to the next working morning; in Hungary it is a working day.
    assert rows[ANA.id] == datetime(2027, 1, 8, 8, 0, tzinfo=BELGRADE)
    assert rows[ZSOFIA.id] == datetime(2027, 1, 7, 17, 0, tzinfo=BELGRADE)
    await run_until(bot, datetime(2027, 1, 7, 23, 0, tzinfo=BELGRADE))
    assert len(reminders_to(bot, ZSOFIA, "⏰")) == 1
    assert len(reminders_to(bot, ANA, "⏰")) == 0
    await run_until(bot, datetime(2027, 1, 8, 9, 0, tzinfo=BELGRADE))
    assert len(reminders_to(bot, ANA, "⏰")) == 1


# -- reminders over time -------------------------------------------------------------------------


async def test_moving_the_deadline_replans_the_reminders(bot: Harness) -> None:
    await delegation(bot)
    request_id = await create(bot, audience=Audience(countries=("MK",)))
    await run_until(bot, DEADLINE - timedelta(days=7))
    assert len(reminders_to(bot, MARKO, "⏰")) == 1
    later = DEADLINE + timedelta(days=5)
    _, told = await bot.services.requests.set_deadline(request_id, later.astimezone(UTC))
    assert told == 1
    await bot.deliver()
    reader = t(bot, "mk")
    moved = bot.api.last(MARKO.id).text
    assert reader.datetime(later, "Europe/Skopje") in moved and "🗓" in moved
    rows = await planned(bot, request_id)
    waiting = sorted(send for _, _, send, state in rows if state == "planned")
    assert waiting == [
        later - timedelta(days=7),
        later - timedelta(days=1),
        later - timedelta(hours=2),
    ]
    assert [state for _, _, _, state in rows].count("queued") == 1  # the one already sent
    # Nothing is sent for the old deadline, and no escalation when it passes.
    await run_until(bot, DEADLINE + timedelta(hours=1))
    assert len(reminders_to(bot, MARKO, "⏰")) == 2  # the new 7-day reminder only
    assert not [text for text in bot.replies(ADMIN) if "Deadline passed" in text]
    await run_until(bot, later + timedelta(minutes=1))
    assert len(reminders_to(bot, MARKO, "⏰")) == 4
    assert [text for text in bot.replies(ADMIN) if "Deadline passed" in text]


async def test_after_downtime_recent_reminders_are_sent_older_ones_skipped(
    settings: Settings, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    api = FakeBotApi()
    bot = await Harness(settings, clock, api).start()
    await delegation(bot)
    request_id = await create(bot, audience=Audience(countries=("MK",)))
    await bot.stop()
    # Down from before the 7-day reminder until an hour after the 1-day one (grace: 6 h).
    clock.set(DEADLINE - timedelta(days=1) + timedelta(hours=1))
    bot = await Harness(settings, clock, api).start()
    try:
        with caplog.at_level(logging.WARNING, logger="bot.domain.reminders"):
            await sweep(bot)
        assert len(reminders_to(bot, MARKO, "⏰")) == 1
        states = {
            step.split(":")[-1]: state for _, step, _, state in await planned(bot, request_id)
        }
        assert states == {str(7 * 86400): "skipped", "86400": "queued", "7200": "planned"}
        assert any("Skipped reminder" in r.getMessage() for r in caplog.records)
    finally:
        await bot.stop()


async def test_escalation_goes_to_focal_points_of_the_members_country(bot: Harness) -> None:
    ids = await delegation(bot)
    await focal_point(bot, ELENA, "MK", "mk")
    request_id = await create(
        bot, audience=Audience(members=(ids["marko"], ids["ana"])), reminder_offsets=()
    )
    await bot.press(ANA, f"rq:{request_id}:o:0")
    bot.clock.set(DEADLINE + timedelta(minutes=1))
    await sweep(bot)
    text = bot.api.last(ELENA.id).text
    assert "Marko Marković" in text and "Ana" not in text
    digest = bot.api.last(ADMIN.id).text
    assert "1 of 2 have not answered" in digest and "Marko Marković" in digest
    # Escalated once, whatever the number of sweeps.
    await sweep(bot)
    assert len([c for c in bot.api.sent(ELENA.id) if "⚠️" in c.text]) == 1


async def test_meeting_reminders_go_to_those_who_owe_an_answer_or_come(bot: Harness) -> None:
    ids = await delegation(bot)
    meeting_id = await announce(bot)
    await bot.press(ANA, f"rsvp:{await invitation_of(bot, meeting_id, ids['ana'])}:p")
    await bot.press(GIORGI, f"rsvp:{await invitation_of(bot, meeting_id, ids['giorgi'])}:n")
    meeting = await bot.services.meetings.get(meeting_id)
    assert meeting is not None
    await run_until(bot, meeting.starts_at)
    rsvp_reminders = {
        p.first_name: len(reminders_to(bot, p, "⏰")) for p in (ANA, GIORGI, MARKO, LIDIJA)
    }
    # Marko and Lidija never answered: 7 d, 1 d and 2 h before the RSVP deadline. Ana comes:
    # 1 day and 1 hour before the meeting. Giorgi does not come: nothing.
    assert rsvp_reminders == {"Ana": 2, "Giorgi": 0, "Marko": 3, "Lidija": 3}
    reader = t(bot, "sr_Cyrl")
    assert (
        reader.gettext(
            "⏰ <b>Reminder</b>: the meeting starts {relative}.",
            relative=reader.relative(timedelta(hours=1)),
        )
        in bot.replies(ANA)[-1]
    )


async def test_a_meeting_may_set_its_own_cadence_and_an_edit_keeps_it(bot: Harness) -> None:
    ids = await delegation(bot)
    meeting_id = await announce(bot, reminder_offsets=(3 * 86400,))
    await bot.press(ANA, f"rsvp:{await invitation_of(bot, meeting_id, ids['ana'])}:p")
    meeting = await bot.services.meetings.get(meeting_id)
    assert meeting is not None and meeting.reminder_offsets == (3 * 86400,)
    async with bot.services.db.transaction() as tx:
        rows = await tx.reminders.of_subject(f"mtg:{meeting_id}")
    assert [
        r.step.split(":")[0] + ":" + r.step.split(":")[2]
        for r in rows
        if r.telegram_user_id == ANA.id
    ] == [f"start:{3 * 86400}"]
    # Moved a day later: the reminder is re-planned for the new start, same cadence.
    later = spec_moved(meeting, days=1)
    await bot.services.meetings.edit(meeting_id, later, edited_by=ADMIN_ID)
    async with bot.services.db.transaction() as tx:
        rows = await tx.reminders.of_subject(f"mtg:{meeting_id}")
    mine = [r for r in rows if r.telegram_user_id == ANA.id and r.step.startswith("start:")]
    assert [r.send_at for r in mine] == [later.starts_at - timedelta(days=3)]


def spec_moved(meeting, days: int):  # type: ignore[no-untyped-def]
    from tests.auxil.meetings import spec

    return spec(
        starts_at=meeting.starts_at + timedelta(days=days),
        ends_at=meeting.ends_at + timedelta(days=days),
    )


# -- two processes -----------------------------------------------------------------------------------


async def test_two_processes_send_each_reminder_exactly_once(
    settings: Settings, clock: FakeClock, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("two bot processes share a database only on PostgreSQL")
    first_api, second_api = FakeBotApi(), FakeBotApi()
    first = await Harness(settings, clock, first_api).start()
    second = await Harness(settings, clock, second_api).start()
    try:
        await delegation(first)
        for index in range(20):  # more people, so that both processes find work
            await add_member(
                first,
                Person(700 + index, f"Expert{index}", "Test", "en"),
                "AL",
                "sq",
                "Europe/Tirane",
            )
        await first.services.requests.create(
            request_spec(audience=Audience(countries=("RS", "GE", "MK", "AL"))), created_by=ADMIN_ID
        )
        await asyncio.gather(first.worker.drain(), second.worker.drain())
        while (due := await next_planned(first)) is not None:
            clock.set(due)
            await asyncio.gather(
                first.services.reminders.sweep(), second.services.reminders.sweep()
            )
            await asyncio.gather(first.worker.drain(), second.worker.drain())
        clock.advance(timedelta(days=1))
        await asyncio.gather(first.services.reminders.sweep(), second.services.reminders.sweep())
        await asyncio.gather(first.worker.drain(), second.worker.drain())
        sent = [
            (call.chat_id, call.text)
            for api in (first_api, second_api)
            for call in api.of("sendMessage")
            if "⏰" in call.text
        ]
        per_person: dict[int | None, int] = {}
        for chat_id, _ in sent:
            per_person[chat_id] = per_person.get(chat_id, 0) + 1
        assert len(per_person) == 24 and set(per_person.values()) == {3}
        assert len(set(sent)) == len(sent)
        assert first_api.of("sendMessage") and second_api.of("sendMessage")
    finally:
        await first.stop()
        await second.stop()
