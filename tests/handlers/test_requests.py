"""Requests, reminders, escalation and action plans through the real Application, with an
injected clock and no sleeping, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import Settings
from bot.domain.clock import FakeClock
from bot.domain.models import (
    AnswerKind,
    Audience,
    ResponseStatus,
    Role,
)
from bot.domain.plans import plan_spec
from bot.domain.reminders import request_subject
from bot.domain.requests import MAX_ANSWER, MAX_BODY, RequestError, RequestProblem, RequestSpec
from bot.i18n import zone
from handlers.common import LABEL_BUDGET, label_width
from tests.auxil.fake_bot_api import BOT_ID, FakeBotApi
from tests.auxil.harness import Harness, Person, callback_update, document_update, reply_update
from tests.auxil.telegram_rules import parse_html
from tests.conftest import ADMIN_ID
from tests.handlers.test_meetings import (
    ADMIN,
    ANA,
    GIORGI,
    LIDIJA,
    MARKO,
    add_member,
    announce,
    delegation,
    invitation_of,
)
from tests.handlers.test_onboarding import t

BELGRADE = zone("Europe/Belgrade")
# 19:00 in Belgrade and Skopje, 22:00 in Tbilisi: the Georgian member's evening reminders
# fall into quiet hours (21:00–08:00 local) and move to the next morning.
DEADLINE = datetime(2026, 12, 10, 19, 0, tzinfo=BELGRADE)
ELENA = Person(601, "Elena", "Stojanovska", "mk")  # focal point for North Macedonia
ZSOFIA = Person(602, "Zsófia", "Kovács", "hu")  # Budapest


def request_spec(**changes: object) -> RequestSpec:
    values: dict[str, object] = {
        "title": "Answer to the invitation to the technical meeting",
        "body": "Please confirm whether your country will take part.",
        "deadline": DEADLINE.astimezone(UTC),
        "timezone": "Europe/Belgrade",
        "audience": Audience(countries=("RS", "GE", "MK")),
        "answer_kind": AnswerKind.CHOICE,
        "options": ("We take part", "We do not take part"),
    }
    values.update(changes)
    return RequestSpec(**values)  # type: ignore[arg-type]


async def create(bot: Harness, **changes: object) -> int:
    request_id, _, _ = await bot.services.requests.create(
        request_spec(**changes), created_by=ADMIN_ID
    )
    await bot.deliver()
    return request_id


async def sweep(bot: Harness) -> None:
    await bot.services.reminders.sweep()
    await bot.deliver()


async def next_planned(bot: Harness) -> datetime | None:
    async with bot.services.db.transaction() as tx:
        return await tx.reminders.next_send_at()


async def run_until(bot: Harness, moment: datetime) -> None:
    """Move the clock from one planned reminder to the next, sweeping at each, up to `moment`;
    then sweep once more at `moment` (escalations happen at deadlines, not planned)."""
    while (due := await next_planned(bot)) is not None and due <= moment:
        bot.clock.set(max(due, bot.clock.now()))
        await sweep(bot)
    bot.clock.set(max(moment, bot.clock.now()))
    await sweep(bot)


def reminders_to(bot: Harness, person: Person, marker: str) -> list[str]:
    return [text for text in bot.replies(person) if marker in text]


async def planned(bot: Harness, request_id: int) -> list[tuple[int, str, datetime, str]]:
    async with bot.services.db.transaction() as tx:
        rows = await tx.reminders.of_subject(request_subject(request_id))
    return [(r.telegram_user_id, r.step, r.send_at, r.state.value) for r in rows]


async def focal_point(bot: Harness, person: Person, country: str, locale: str) -> None:
    now = bot.clock.now()
    async with bot.services.db.transaction() as tx:
        await tx.accounts.ensure(person.id, person.id, now)
        await tx.accounts.set_preferences(person.id, now, locale=locale, timezone="Europe/Skopje")
    await bot.services.roster.grant(person.id, Role.FOCAL_POINT, country)


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


# -- answers -----------------------------------------------------------------------------------


async def test_text_answers_are_amended_until_the_deadline_then_refused(bot: Harness) -> None:
    await delegation(bot)
    request_id = await create(
        bot,
        title="Relevant provisions of national legislation",
        answer_kind=AnswerKind.TEXT,
        options=(),
        audience=Audience(countries=("RS",)),
    )
    reader = t(bot, "sr_Cyrl")
    assert bot.api.last(ANA.id).buttons == [
        (reader.gettext("Write the answer"), f"rq:{request_id}:t")
    ]
    await bot.press(ANA, f"rq:{request_id}:t")
    await bot.say(ANA, "Articles 83–85 of the Criminal Procedure Code.")
    assert reader.gettext(
        "Thank you: your answer to “{title}” is saved. You can change it until the deadline.",
        title="Relevant provisions of national legislation",
    ) in bot.replies(ANA)
    # Lidija (same delegation) amends it by replying to her card.
    card = bot.api.last(LIDIJA.id)
    await bot.feed(
        reply_update(LIDIJA, "Articles 83–86 of the Criminal Procedure Code.", _as_message(card))
    )
    response = await _response(bot, request_id, "country:RS")
    assert response.text == "Articles 83–86 of the Criminal Procedure Code."
    assert response.amendments == 1 and response.status is ResponseStatus.SUBMITTED
    # After the deadline: refused, with a clear message, and nothing changes.
    bot.clock.set(DEADLINE + timedelta(minutes=5))
    await bot.press(ANA, f"rq:{request_id}:t")
    refusal = reader.gettext(
        "The deadline has passed and this request no longer accepts answers. If you "
        "still need to answer, please write to the secretariat."
    )
    assert bot.alerts()[-1] == refusal
    await bot.feed(reply_update(ANA, "A late change", _as_message(card)))
    assert bot.last_text(ANA) == refusal
    assert (await _response(bot, request_id, "country:RS")).amendments == 1


async def test_late_answers_are_marked_late_where_accepted(bot: Harness) -> None:
    await delegation(bot)
    request_id = await create(bot, accept_late=True, audience=Audience(members=(1, 3)))
    bot.clock.set(DEADLINE + timedelta(days=1))
    await sweep(bot)  # escalated; the answer is still welcome
    await bot.press(ANA, f"rq:{request_id}:o:0")
    reader = t(bot, "sr_Cyrl")
    assert bot.alerts()[-1] == reader.gettext("Saved, after the deadline: it is marked late.")
    response = await _response(bot, request_id, "member:1")
    assert response.status is ResponseStatus.LATE
    await bot.press(ANA, f"rq:{request_id}:v")
    assert reader.gettext(
        "⌛ Answered late by {name}, {when}.",
        name="Ana Petrović",
        when=reader.datetime(bot.clock.now(), "Europe/Belgrade"),
    ) in bot.last_text(ANA)


async def test_documents_are_kept_and_downloaded(
    settings: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    bot = await Harness(replace(settings, files_dir=tmp_path / "files"), clock).start()
    try:
        await _documents(bot, tmp_path)
    finally:
        await bot.stop()


async def _documents(bot: Harness, tmp_path: Path) -> None:
    await delegation(bot)
    request_id = await create(
        bot,
        title="National legislation",
        answer_kind=AnswerKind.DOCUMENTS,
        options=(),
        audience=Audience(countries=("MK",)),
    )
    bot.api.files["f-law"] = b"%PDF law"
    bot.api.files["f-annex"] = b"%PDF annex"
    reader = t(bot, "mk")
    await bot.press(MARKO, f"rq:{request_id}:d")
    await bot.feed(document_update(MARKO, "f-law", "Закон за кривична постапка.pdf"))
    assert reader.gettext(
        "Thank you: your answer to “{title}” is saved. You can change it until the deadline.",
        title="National legislation",
    ) in bot.replies(MARKO)
    card = bot.api.last(MARKO.id)
    assert (
        reader.ngettext(
            "{n} document: {names}",
            "{n} documents: {names}",
            1,
            names="Закон за кривична постапка.pdf",
        )
        in card.text
    )
    # A second file, sent as a reply to the card, is added to the same answer.
    await bot.feed(document_update(MARKO, "f-annex", "annex.pdf", reply_to=_as_message(card)))
    response = await _response(bot, request_id, "country:MK")
    assert [f.file_name for f in response.files] == ["Закон за кривична постапка.pdf", "annex.pdf"]
    saved = [Path(f.path) for f in response.files if f.path]
    assert [p.read_bytes() for p in saved] == [b"%PDF law", b"%PDF annex"]
    assert all(p.is_relative_to(tmp_path / "files" / "requests" / str(request_id)) for p in saved)
    # Withdrawn: owed again (and reminded again).
    await bot.press(MARKO, f"rq:{request_id}:x")
    response = await _response(bot, request_id, "country:MK")
    assert response.owed and not response.files
    assert any(
        step.startswith("before:")
        for _, step, _, state in await planned(bot, request_id)
        if state == "planned"
    )
    # A plain file, with this the only documents request open for him, answers it.
    await bot.say(MARKO, "/start")
    bot.api.calls.clear()
    await bot.services.pending.clear(MARKO.id)
    await bot.feed(document_update(MARKO, "f-other", "other.pdf"))
    assert [f.file_name for f in (await _response(bot, request_id, "country:MK")).files] == [
        "other.pdf"
    ]
    # Once the request is withdrawn, a file sent with no request waiting for one is not
    # taken as an answer.
    await bot.services.requests.cancel(request_id, cancelled_by=ADMIN_ID)
    await bot.feed(document_update(MARKO, "f-late", "late.pdf"))
    assert [f.file_name for f in (await _response(bot, request_id, "country:MK")).files] == [
        "other.pdf"
    ]
    assert bot.last_text(MARKO) == reader.gettext(
        "I did not understand that. Use /help to see what I can do."
    )


async def test_forged_and_foreign_buttons_change_nothing(bot: Harness) -> None:
    await delegation(bot)
    request_id = await create(bot, audience=Audience(countries=("RS",)))
    await bot.press(MARKO, f"rq:{request_id}:o:0")  # not addressed to North Macedonia
    assert bot.alerts()[-1] == t(bot, "mk").gettext("This request is not addressed to you.")
    await bot.press(ANA, "rq:99999:o:0")
    assert bot.alerts()[-1] == t(bot, "sr_Cyrl").gettext("This request no longer exists.")
    await bot.press(ANA, f"rq:{request_id}:o:7")
    await bot.press(ANA, f"rq:{request_id}:zz")
    assert (await _response(bot, request_id, "country:RS")).owed
    await bot.press(ANA, f"rqs:{request_id}")  # the secretariat's status
    assert bot.alerts()[-1] == t(bot, "sr_Cyrl").gettext("You are not allowed to use this command.")
    await bot.say(ANA, "/plan")
    assert bot.last_text(ANA) == t(bot, "sr_Cyrl").gettext(
        "You are not allowed to use this command."
    )
    # A request withdrawn by the secretariat no longer takes answers.
    await bot.services.requests.cancel(request_id)
    await bot.press(ANA, f"rq:{request_id}:o:0")
    assert bot.alerts()[-1] == t(bot, "sr_Cyrl").gettext(
        "This request was withdrawn by the secretariat."
    )
    with pytest.raises(RequestError) as error:
        await bot.services.requests.create(
            request_spec(deadline=bot.clock.now() - timedelta(hours=1)), created_by=ADMIN_ID
        )
    assert error.value.problem is RequestProblem.DEADLINE_PAST


async def test_requests_lists_what_is_owed_in_the_members_time_zone(bot: Harness) -> None:
    await delegation(bot)
    request_id = await create(bot)
    await bot.say(GIORGI, "/requests")
    reader = t(bot, "ka")
    listing = bot.api.last(GIORGI.id)
    assert reader.datetime(DEADLINE, "Asia/Tbilisi") in listing.text
    assert listing.buttons[0][1] == f"rq:{request_id}:v"
    await bot.say(ADMIN, "/requests")
    assert f"rqs:{request_id}" in [data for _, data in bot.api.last(ADMIN.id).buttons]


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
    from tests.handlers.test_meetings import spec

    return spec(
        starts_at=meeting.starts_at + timedelta(days=days),
        ends_at=meeting.ends_at + timedelta(days=days),
    )


# -- action plans ------------------------------------------------------------------------------------


PLAN = {
    "slug": "ocp-2027",
    "title": "Action plan 2027",
    "timezone": "Europe/Belgrade",
    "items": [
        {
            "ref": "2.1",
            "title": "Report on cases of mutual legal assistance",
            "responsible": ["RS", "MK"],
            "every": "FREQ=MONTHLY;BYMONTHDAY=10",
            "answer": "text",
            "remind": "1d",
        },
        {
            "ref": "3.4",
            "title": "Nominate a contact point",
            "responsible": {"teams": ["criminal"]},
            "deadline": "2027-03-01",
            "answer": "text",
        },
    ],
}


async def test_an_rrule_obligation_across_two_occurrences(bot: Harness) -> None:
    await delegation(bot)
    await focal_point(bot, ELENA, "MK", "mk")
    spec = plan_spec(PLAN, bot.clock.now(), "Europe/Belgrade")
    result = await bot.services.plans.import_plan(spec)
    assert (result.created, result.obligations) == (2, 2)
    first_due = datetime(2026, 12, 10, 23, 59, tzinfo=BELGRADE)
    report = await bot.services.plans.report(result.plan_id)
    assert report is not None
    first = report.items[0].occurrences[0].request
    assert first.deadline == first_due and first.accept_late
    # The team item is owed once by the team: any member may answer it.
    assert [r.party for r in report.items[1].occurrences[0].responses] == ["team:1"]

    # 1 day before 23:59 is night: the reminder comes at 08:00 on the last day.
    await run_until(bot, first_due - timedelta(hours=12))
    reader = t(bot, "sr_Cyrl")
    reminder = reminders_to(bot, ANA, "⏰")[-1]
    assert (
        reader.gettext("Action plan “{plan}”, item {ref}", plan="Action plan 2027", ref="2.1")
        in reminder
    )
    await bot.press(ANA, f"rq:{first.id}:t")
    await bot.say(ANA, "12 requests sent, 9 received in November.")

    # The deadline passes: the next occurrence appears; North Macedonia is overdue.
    # (The focal point is told at 08:00: the deadline is at midnight, in quiet hours.)
    await run_until(bot, first_due + timedelta(minutes=1))
    assert not bot.api.sent(ELENA.id)
    await run_until(bot, first_due + timedelta(hours=9))
    report = await bot.services.plans.report(result.plan_id)
    assert report is not None
    occurrences = report.items[0].occurrences
    assert [o.request.deadline for o in occurrences] == [
        first_due,
        datetime(2027, 1, 10, 23, 59, tzinfo=BELGRADE),
    ]
    statuses = {r.party: r.status for r in occurrences[0].responses}
    assert statuses == {
        "country:MK": ResponseStatus.PENDING,
        "country:RS": ResponseStatus.SUBMITTED,
    }
    assert "⚠️" in bot.api.last(ELENA.id).text
    # A week later, the past-due reminder; Marko then submits, marked late.
    await run_until(bot, first_due + timedelta(days=7, hours=12))
    assert reminders_to(bot, MARKO, "⚠️")
    await bot.press(MARKO, f"rq:{first.id}:t")
    await bot.say(MARKO, "Report attached below.")
    second = occurrences[1].request
    await bot.press(ANA, f"rq:{second.id}:t")
    await bot.say(ANA, "December: 7 requests.")
    await bot.say(ADMIN, f"/plan {result.plan_id}")
    status = bot.last_text(ADMIN)
    assert "2.1. Report on cases of mutual legal assistance" in status
    assert (
        "⌛ North Macedonia" in status and "✅ Serbia" in status and "⏳ North Macedonia" in status
    )
    report = await bot.services.plans.report(result.plan_id)
    assert report is not None
    assert report.items[0].occurrences[0].responses[0].status is ResponseStatus.LATE


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


# -- helpers -----------------------------------------------------------------------------------------


def _as_message(call: object) -> dict[str, object]:
    """A message the bot sent, as Telegram shows it inside a reply."""
    return {
        "message_id": 1,
        "date": 0,
        "chat": {"id": call.chat_id, "type": "private"},  # type: ignore[attr-defined]
        "from": {"id": BOT_ID, "is_bot": True, "first_name": "Convene"},
        "text": call.text,  # type: ignore[attr-defined]
        "reply_markup": call.params.get("reply_markup"),  # type: ignore[attr-defined]
    }


async def _response(bot: Harness, request_id: int, party: str):  # type: ignore[no-untyped-def]
    async with bot.services.db.transaction() as tx:
        for response in await tx.responses.of_requests([request_id]):
            if response.party == party:
                return response
    raise AssertionError(party)


# -- names with "&" and "<": every view reaches Telegram and reads them once -------------------


EMIR = Person(603, "Emir", "Hodžić", "en")  # Sarajevo; reads English
ADNAN = Person(604, "Adnan", "Begić", "en")  # focal point for Bosnia and Herzegovina


def shown(text: str) -> str:
    """What the reader sees of a message sent with parse mode HTML."""
    return parse_html(text).text


async def test_a_request_to_bosnia_and_herzegovina_reads_right_in_every_view(
    bot: Harness,
) -> None:
    await bot.services.roster.create_team("Police & Justice", "police")
    await bot.say(ADMIN, "/start")
    await add_member(bot, ANA, "RS", "sr_Cyrl", "Europe/Belgrade", team="police")
    await add_member(bot, EMIR, "BA", "en", "Europe/Sarajevo", team="police")
    await focal_point(bot, ADNAN, "BA", "en")
    bosnia = t(bot, "en").country("BA")
    assert bosnia == "Bosnia & Herzegovina"
    request_id = await create(
        bot,
        title="MLA & extradition",
        body="Cases <2025> & practice",
        audience=Audience(countries=("BA", "RS")),
        answer_kind=AnswerKind.TEXT,
        options=(),
        reminder_offsets=(),
    )
    card = shown(bot.last_text(EMIR))
    assert "MLA & extradition" in card and "Cases <2025> & practice" in card
    assert f"One answer for {bosnia}" in card and "&amp;" not in card
    await bot.press(ANA, f"rq:{request_id}:t")
    await bot.say(ANA, "12 sent & 9 received <2026>")

    # The deadline passes: Bosnia and Herzegovina never answered.
    bot.clock.set(DEADLINE + timedelta(minutes=1))
    await sweep(bot)
    escalation = shown(bot.last_text(ADNAN))
    assert "“MLA & extradition”" in escalation and f"• {bosnia}" in escalation
    digest = shown(bot.last_text(ADMIN))
    assert f"#{request_id} “MLA & extradition”" in digest
    assert f"{bosnia}: {bosnia}" in digest and "&amp;" not in digest
    await bot.press(ADMIN, f"rqs:{request_id}")
    status = shown(bot.last_text(ADMIN))
    assert f"Request #{request_id}: MLA & extradition" in status
    assert f"{bosnia} · 1 member may answer" in status
    assert "Serbia: Ana Petrović" in status and "12 sent & 9 received <2026>" in status
    assert "&amp;" not in status


async def test_an_action_plan_of_police_and_justice_reads_right(bot: Harness) -> None:
    await bot.services.roster.create_team("Police & Justice", "police")
    await bot.say(ADMIN, "/start")
    await add_member(bot, EMIR, "BA", "en", "Europe/Sarajevo", team="police")
    plan = {
        "slug": "mla-2027",
        "title": "MLA & extradition 2027",
        "timezone": "Europe/Belgrade",
        "items": [
            {
                "ref": "1.1",
                "title": "Statistics <annual> & trends",
                "responsible": {"teams": ["police"], "countries": ["BA"]},
                "deadline": "2027-03-01",
                "answer": "text",
            },
        ],
    }
    result = await bot.services.plans.import_plan(
        plan_spec(plan, bot.clock.now(), "Europe/Belgrade")
    )
    await bot.say(ADMIN, f"/plan {result.plan_id}")
    status = shown(bot.last_text(ADMIN))
    assert "Action plan #1: MLA & extradition 2027" in status
    assert "1.1. Statistics <annual> & trends" in status
    assert "⏳ Police & Justice" in status and "⏳ Bosnia & Herzegovina" in status
    assert "&amp;" not in status


async def test_the_longest_request_and_answer_still_reach_the_member(bot: Harness) -> None:
    await delegation(bot)
    request_id = await create(
        bot,
        title="MLA & extradition " * 16,
        body="Statistics <2025> & trends. " * (MAX_BODY // 28),
        audience=Audience(countries=("RS",)),
        answer_kind=AnswerKind.TEXT,
        options=(),
    )
    card = bot.last_text(ANA)  # the fake refuses a card that does not fit: the test would fail
    assert "Statistics <2025> & trends." in shown(card)
    await bot.press(ANA, f"rq:{request_id}:t")
    answer = "12 sent & 9 received <2026>. " * (MAX_ANSWER // 30)
    await bot.say(ANA, answer)
    await bot.press(ANA, f"rq:{request_id}:v")
    card = shown(bot.last_text(ANA))
    assert parse_html(bot.last_text(ANA)).length <= 4096
    assert "Statistics <2025> & trends." in card and "12 sent & 9 received <2026>." in card
    assert "…" in card  # shortened, where it would not fit
    # The secretariat's status shows the whole answer, over as many messages as it takes.
    await bot.press(ADMIN, f"rqs:{request_id}")
    assert shown(bot.last_text(ADMIN)).count("12 sent & 9 received <2026>.") == MAX_ANSWER // 30


def experts(text: str) -> set[int]:
    return {int(n) for n in re.findall(r"Expert(\d+) Hodžić & Sons \(RS\)", text)}


async def test_long_lists_reach_the_secretariat_over_several_messages(bot: Harness) -> None:
    await delegation(bot)
    await focal_point(bot, ELENA, "RS", "en")
    for index in range(180):  # a large delegation, none of whom answers
        await add_member(
            bot, Person(800 + index, f"Expert{index}", "Hodžić & Sons", "en"), "RS", "en", "UTC"
        )
    request_id = await create(
        bot, audience=Audience(teams=("criminal",)), reminder_offsets=(), options=("Yes", "No")
    )
    bot.clock.set(DEADLINE + timedelta(minutes=1))
    await sweep(bot)
    await bot.deliver()  # the parts of a long escalation go out a second apart
    # The digest: the heading, then the names as far as one message holds them; the
    # Status button under the last part has them all.
    digest = bot.api.sent(ADMIN.id)[-2:]
    assert "Deadline passed" in digest[0].text and not digest[0].buttons
    assert digest[1].buttons == [("Status", f"rqs:{request_id}")]
    assert "Hodžić & Sons (RS), Expert" in shown(digest[1].text)
    before = len(bot.api.sent(ADMIN.id))
    await bot.press(ADMIN, f"rqs:{request_id}")
    status = [shown(c.text) for c in bot.api.sent(ADMIN.id)[before:]]
    assert len(status) == 2 and experts("\n".join(status)) == set(range(180))
    # The focal point is told of every one of them, over several messages.
    escalation = [shown(c.text) for c in bot.api.sent(ELENA.id)]
    assert len(escalation) == 2 and experts("\n".join(escalation)) == set(range(180))
    for index in range(14):
        await create(
            bot,
            title=f"Statistics & trends, part {index} " + "x" * 250,
            deadline=(DEADLINE + timedelta(days=30)).astimezone(UTC),
            audience=Audience(countries=("GE",)),
        )
    await bot.say(ADMIN, "/requests")
    listing = bot.api.sent(ADMIN.id)[-2:]
    assert "part 0" in shown(listing[0].text) and "part 13" in shown(listing[1].text)
    assert len(listing[1].buttons) == 15 and not listing[0].buttons


# -- answers given the way members give them -------------------------------------------------

EMINA = Person(605, "Emina", "Hadžić", "bs")  # Sarajevo: "Bosnia & Herzegovina"


async def _bosnian(bot: Harness) -> None:
    await delegation(bot)
    await add_member(bot, EMINA, "BA", "bs", "Europe/Sarajevo")


def _file_choice(person: Person, data: str, file_message: dict[str, object]) -> dict[str, object]:
    """A press on a button of the bot's question that quotes the member's file."""
    raw = callback_update(person, data)
    question = raw["callback_query"]["message"]
    question["from"] = {"id": BOT_ID, "is_bot": True, "first_name": "Convene"}
    question["reply_to_message"] = file_message
    return raw


async def test_a_plain_file_answers_the_one_documents_request_open_and_several_ask_which(
    bot: Harness,
) -> None:
    await _bosnian(bot)
    laws = await create(
        bot,
        title="National legislation on extradition",
        answer_kind=AnswerKind.DOCUMENTS,
        options=(),
        audience=Audience(countries=("BA",)),
    )
    reader = t(bot, "bs")
    card = bot.api.last(EMINA.id)
    assert (
        reader.gettext("Send the documents here as files, or reply to this message with them.")
        in card.text
    )
    # She does exactly that: a PDF, not a reply, no button pressed first.
    before = len(bot.api.sent(EMINA.id))
    await bot.feed(document_update(EMINA, "f-zakon", "Zakon o krivičnom postupku BiH.pdf"))
    response = await _response(bot, laws, "country:BA")
    assert [f.file_name for f in response.files] == ["Zakon o krivičnom postupku BiH.pdf"]
    assert response.status is ResponseStatus.SUBMITTED
    replies = bot.replies(EMINA)[before:]
    assert replies[0] == reader.gettext(
        "Thank you: your answer to “{title}” is saved. You can change it until the deadline.",
        title="National legislation on extradition",
    )
    assert reader.gettext("I did not understand that. Use /help to see what I can do.") not in (
        replies
    )

    # A second documents request: now a file could be for either, so she is asked.
    statistics = await create(
        bot,
        title="Statistics on mutual legal assistance 2026",
        answer_kind=AnswerKind.DOCUMENTS,
        options=(),
        audience=Audience(countries=("BA",)),
    )
    sent = document_update(EMINA, "f-stat", "MLA statistics 2026.xlsx")
    await bot.feed(sent)
    question = bot.api.last(EMINA.id)
    assert question.text == reader.gettext("For which request is this file?")
    assert [data for _, data in question.buttons] == [f"rqf:{laws}", f"rqf:{statistics}"]
    # Each title whole, or shortened with "…" where a phone would cut it.
    assert [label for label, _ in question.buttons] == [
        "National legislation on extradition",
        "Statistics on mutual legal assistance…",
    ]
    assert all(label_width(label) <= LABEL_BUDGET[1] for label, _ in question.buttons)
    assert question.params["reply_parameters"]["message_id"] == sent["message"]["message_id"]
    assert not (await _response(bot, statistics, "country:BA")).files  # nothing yet
    await bot.feed(_file_choice(EMINA, f"rqf:{statistics}", sent["message"]))
    assert bot.alerts()[-1] == reader.gettext("Saved. You can change it until the deadline.")
    assert [f.file_name for f in (await _response(bot, statistics, "country:BA")).files] == [
        "MLA statistics 2026.xlsx"
    ]
    # A double tap adds nothing; the first request kept only its own file.
    await bot.feed(_file_choice(EMINA, f"rqf:{statistics}", sent["message"]))
    assert bot.alerts()[-1] == reader.gettext("Your answer is unchanged.")
    assert len((await _response(bot, statistics, "country:BA")).files) == 1
    assert len((await _response(bot, laws, "country:BA")).files) == 1
    # A button under someone else's file, or forged with a huge number, takes nothing.
    foreign = document_update(ANA, "f-ana", "ana.pdf")["message"]
    await bot.feed(_file_choice(EMINA, f"rqf:{laws}", foreign))
    assert bot.alerts()[-1] == reader.gettext("This button is no longer valid.")
    await bot.feed(_file_choice(EMINA, "rqf:999999999999", sent["message"]))
    assert bot.alerts()[-1] == reader.gettext("This button is no longer valid.")
    # A question too old for Telegram to show (an "inaccessible" message): nothing to take.
    old = callback_update(EMINA, f"rqf:{laws}")
    old["callback_query"]["message"] = {"chat": EMINA.as_chat(), "message_id": 5, "date": 0}
    await bot.feed(old)
    assert bot.alerts()[-1] == reader.gettext("This button is no longer valid.")
    assert len((await _response(bot, laws, "country:BA")).files) == 1


async def test_another_kind_of_answer_is_told_what_the_request_expects(bot: Harness) -> None:
    await _bosnian(bot)
    text_request = await create(
        bot,
        title="Contact point for extradition",
        answer_kind=AnswerKind.TEXT,
        options=(),
        audience=Audience(countries=("BA",)),
    )
    reader = t(bot, "bs")
    expects_text = reader.gettext(
        "This request expects a written answer: press “Write the answer” on its card and "
        "type it, or reply to the card with your text."
    )
    card = bot.api.last(EMINA.id)
    # A file in reply to a text request's card: told what it expects, nothing else.
    before = len(bot.api.sent(EMINA.id))
    await bot.feed(document_update(EMINA, "f-cv", "CV.pdf", reply_to=_as_message(card)))
    assert bot.replies(EMINA)[before:] == [expects_text]
    # A choice button forged onto the text request: the same, as an alert.
    await bot.press(EMINA, f"rq:{text_request}:o:0")
    assert bot.alerts()[-1] == expects_text
    # "Write the answer", then a file by mistake: told, and the request still waits.
    await bot.press(EMINA, f"rq:{text_request}:t")
    before = len(bot.api.sent(EMINA.id))
    await bot.feed(document_update(EMINA, "f-cv2", "CV.pdf"))
    assert bot.replies(EMINA)[before:] == [expects_text]
    await bot.say(EMINA, "Amra Kovačević, Ministry of Justice of Bosnia & Herzegovina")
    response = await _response(bot, text_request, "country:BA")
    assert response.text == "Amra Kovačević, Ministry of Justice of Bosnia & Herzegovina"

    documents = await create(
        bot,
        title="Copies of the bilateral treaties",
        answer_kind=AnswerKind.DOCUMENTS,
        options=(),
        audience=Audience(countries=("BA",)),
    )
    await bot.press(EMINA, f"rq:{documents}:d")
    before = len(bot.api.sent(EMINA.id))
    await bot.say(EMINA, "I will send them tomorrow")
    assert bot.replies(EMINA)[before:] == [
        reader.gettext("This request expects documents: send them here as files.")
    ]
    await bot.feed(document_update(EMINA, "f-treaty", "Ugovor BiH–Hrvatska.pdf"))
    assert [f.file_name for f in (await _response(bot, documents, "country:BA")).files] == [
        "Ugovor BiH–Hrvatska.pdf"
    ]
    # Nobody was told "something went wrong" or "I did not understand".
    for text in bot.replies(EMINA):
        assert "went wrong" not in text
        assert text != reader.gettext("I did not understand that. Use /help to see what I can do.")


async def test_nul_bytes_and_long_file_names_are_kept_as_both_databases_can(
    bot: Harness,
) -> None:
    await _bosnian(bot)
    text_request = await create(
        bot, answer_kind=AnswerKind.TEXT, options=(), audience=Audience(countries=("BA",))
    )
    await bot.press(EMINA, f"rq:{text_request}:t")
    await bot.say(EMINA, "Article 5\x00 of the Law")
    assert (await _response(bot, text_request, "country:BA")).text == "Article 5 of the Law"
    documents = await create(
        bot,
        title="Legislation",
        answer_kind=AnswerKind.DOCUMENTS,
        options=(),
        audience=Audience(countries=("BA",)),
    )
    long_name = "Zakon\x00 o " + "međunarodnoj pravnoj pomoći u krivičnim stvarima " * 8 + ".pdf"
    await bot.feed(document_update(EMINA, "f-long", long_name))
    (saved,) = (await _response(bot, documents, "country:BA")).files
    assert saved.file_name is not None
    assert 250 <= len(saved.file_name) <= 255 and saved.file_name.endswith("….pdf")
    assert saved.file_name.startswith("Zakon o međunarodnoj") and "\x00" not in saved.file_name


async def test_a_card_pressed_after_its_deadline_loses_its_buttons(bot: Harness) -> None:
    await _bosnian(bot)
    request_id = await create(bot, audience=Audience(countries=("BA",)))
    bot.clock.set(DEADLINE + timedelta(hours=1))
    edits = len(bot.api.of("editMessageText"))
    await bot.press(EMINA, f"rq:{request_id}:o:1")
    reader = t(bot, "bs")
    assert bot.alerts()[-1] == reader.gettext(
        "The deadline has passed and this request no longer accepts answers. If you "
        "still need to answer, please write to the secretariat."
    )
    (redrawn,) = bot.api.of("editMessageText")[edits:]
    assert redrawn.buttons == []
    assert reader.gettext("⚠️ Overdue. Answers are no longer accepted.") in redrawn.text
    assert (await _response(bot, request_id, "country:BA")).owed


async def test_a_card_of_a_withdrawn_request_loses_its_buttons_the_list_keeps_them(
    bot: Harness,
) -> None:
    await _bosnian(bot)
    request_id = await create(bot, audience=Audience(countries=("BA",)))
    await bot.services.requests.cancel(request_id, cancelled_by=ADMIN_ID)
    withdrawn = t(bot, "bs").gettext("This request was withdrawn by the secretariat.")
    edits = len(bot.api.of("editMessageReplyMarkup"))
    await bot.press(EMINA, f"rq:{request_id}:v")  # from the /requests list: the list stays
    assert bot.alerts()[-1] == withdrawn
    assert len(bot.api.of("editMessageReplyMarkup")) == edits
    await bot.press(EMINA, f"rq:{request_id}:o:0")  # on the card: its buttons go
    assert bot.alerts()[-1] == withdrawn
    (stripped,) = bot.api.of("editMessageReplyMarkup")[edits:]
    assert stripped.buttons == [] and stripped.chat_id == EMINA.id
    assert (await _response(bot, request_id, "country:BA")).owed
