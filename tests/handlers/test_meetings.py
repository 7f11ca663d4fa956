"""Meetings, notices and RSVPs through the real Application, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from bot.delivery import CLAIM_LEASE
from bot.domain.meetings import MAX_TEXT, MeetingError, MeetingSpec
from bot.domain.models import (
    Answer,
    Audience,
    DeliveryState,
    MeetingMode,
    MeetingText,
    MemberStatus,
    TeamRole,
)
from bot.domain.pending import Feature
from storage.schema import deliveries, invitations
from tests.auxil.data import insert_member
from tests.auxil.fake_bot_api import UploadedFile
from tests.auxil.harness import Harness, Person, callback_update
from tests.auxil.telegram_rules import parse_html
from tests.conftest import ADMIN_ID
from tests.handlers.test_onboarding import t

ADMIN = Person(ADMIN_ID, "Dragana", "Stojanović", "en")
ANA = Person(501, "Ana", "Petrović", "sr")  # Serbian Cyrillic, Belgrade
GIORGI = Person(502, "Giorgi", "Beridze", "ka")  # Georgian, Tbilisi (UTC+4)
MARKO = Person(503, "Marko", "Marković", "mk")  # Macedonian, Skopje
LIDIJA = Person(504, "Lidija", "Jović", "sr")  # Serbian, Belgrade: a colleague of Ana
START = datetime(2026, 12, 10, 8, 30, tzinfo=UTC)  # 09:30 in Belgrade, 12:30 in Tbilisi


async def add_member(
    bot: Harness, person: Person, country: str, locale: str, timezone: str, team: str = "criminal"
) -> int:
    """A registered, active member, written straight into the database."""
    async with bot.services.db.transaction() as tx:
        return await insert_member(
            tx,
            person.id,
            f"{person.first_name} {person.last_name}",
            country,
            bot.clock.now(),
            locale=locale,
            timezone=timezone,
            team_slug=team,
            institution="Prosecutor's Office",
            position="Prosecutor",
        )


async def delegation(bot: Harness) -> dict[str, int]:
    await bot.services.roster.create_team("Regional expert team – criminal matters", "criminal")
    await bot.say(ADMIN, "/start")
    return {
        "ana": await add_member(bot, ANA, "RS", "sr_Cyrl", "Europe/Belgrade"),
        "giorgi": await add_member(bot, GIORGI, "GE", "ka", "Asia/Tbilisi"),
        "marko": await add_member(bot, MARKO, "MK", "mk", "Europe/Skopje"),
        "lidija": await add_member(bot, LIDIJA, "RS", "sr_Latn", "Europe/Belgrade"),
    }


def spec(**changes: object) -> MeetingSpec:
    values: dict[str, object] = {
        "title": "Technical meeting on mutual legal assistance",
        "description": "Second meeting of the regional expert team.",
        "agenda": "1. Opening\n2. Action plan",
        "starts_at": START,
        "ends_at": START + timedelta(hours=7),
        "timezone": "Europe/Belgrade",
        "mode": MeetingMode.HYBRID,
        "venue": "Palace of Justice",
        "city": "Belgrade",
        "host_country": "RS",
        "online_url": "https://meet.example.org/mla",
        "rsvp_deadline": datetime(2026, 12, 1, 16, 0, tzinfo=UTC),
        "audience": Audience(teams=("criminal",)),
        "tentative": True,
        "ask_comment": True,
    }
    values.update(changes)
    return MeetingSpec(**values)  # type: ignore[arg-type]


async def announce(bot: Harness, **changes: object) -> int:
    outcome = await bot.services.meetings.announce(spec(**changes), created_by=ADMIN_ID)
    await bot.deliver()
    return outcome.meeting.id


async def invitation_of(bot: Harness, meeting_id: int, member_id: int) -> int:
    async with bot.services.db.transaction() as tx:
        found = await tx.invitations.of(meeting_id, member_id)
    assert found is not None
    return found.id


async def answer_of(bot: Harness, meeting_id: int, member_id: int) -> tuple[object, bool]:
    async with bot.services.db.transaction() as tx:
        found = await tx.invitations.of(meeting_id, member_id)
    assert found is not None
    return found.answer, found.needs_confirmation


async def test_the_dialog_publishes_a_meeting_each_member_reads_in_their_language(
    bot: Harness,
) -> None:
    ids = await delegation(bot)
    await bot.say(ADMIN, "/newmeeting")
    await bot.say(ADMIN, "Technical meeting on mutual legal assistance")
    await bot.press(ADMIN, "mtg:skip:description")
    await bot.say(ADMIN, "1. Opening\n2. Action plan")
    await bot.say(ADMIN, "Belgrade")  # time zone, typed as a city
    await bot.say(ADMIN, "31.02.2026 9:30")  # no such day: asked again, nothing stored
    assert "could not read" in bot.last_text(ADMIN)
    await bot.say(ADMIN, "10.12.2026 9:30")
    await bot.say(ADMIN, "17:00")  # end, same day
    await bot.press(ADMIN, "mtg:mode:hybrid")
    await bot.say(ADMIN, "Palace of Justice")
    await bot.say(ADMIN, "Belgrade")
    await bot.say(ADMIN, "rs")
    await bot.say(ADMIN, "meet.example.org")  # not a link
    assert "https://" in bot.last_text(ADMIN)
    await bot.say(ADMIN, "https://meet.example.org/mla")
    await bot.say(ADMIN, "team=criminal")
    await bot.say(ADMIN, "2026-12-01")  # deadline: the end of that day
    preview = bot.api.last(ADMIN.id)
    assert "Preview" in preview.text and "Invited: 4 members" in preview.text
    assert "Dec 10, 2026, 09:30–17:00 (Europe/Belgrade)" in preview.text
    await bot.press(ADMIN, "mtg:opt:comment")
    await bot.press(ADMIN, "mtg:publish")
    assert "published" in bot.api.sent(ADMIN.id)[-2].text
    await bot.deliver()

    ana = bot.api.sent(ANA.id)[-1]
    sr = t(bot, "sr_Cyrl")
    assert sr.gettext("📅 <b>Invitation to a meeting</b>") in ana.text
    assert "9:30" in ana.text and "Europe/Belgrade" in ana.text
    # The texts are untranslated: the Serbian reader is told, in Serbian, what follows.
    assert sr.language_name("en") in ana.text
    assert ana.buttons[0][0] == sr.pgettext("rsvp", "I will attend in person")
    giorgi = bot.api.sent(GIORGI.id)[-1]
    assert "12:30" in giorgi.text and "Asia/Tbilisi" in giorgi.text  # his own time zone
    assert t(bot, "ka").gettext("📅 <b>Invitation to a meeting</b>") in giorgi.text
    marko = bot.api.sent(MARKO.id)[-1]
    assert t(bot, "mk").gettext("Please answer by {deadline}.", deadline="X").split("X")[0] in (
        marko.text
    )
    # Each invitation comes with its calendar file.
    calendar = _file_bytes(bot.api.sent(GIORGI.id, "sendDocument")[-1].params["document"])
    assert b"BEGIN:VEVENT" in calendar and b"DTSTART:20261210T083000Z" in calendar
    assert b"METHOD:PUBLISH" in calendar and b"LOCATION:Palace of Justice\\, Belgrade\\, RS" in (
        calendar
    )
    # The sender's progress message ends as the final summary.
    summary = bot.api.of("editMessageText")[-1]
    assert summary.chat_id == ADMIN.id and "4 of 4 delivered" in summary.text
    assert len(ids) == 4


async def test_rsvp_before_and_after_the_deadline(bot: Harness) -> None:
    ids = await delegation(bot)
    meeting = await announce(bot)
    invitation = await invitation_of(bot, meeting, ids["ana"])
    await bot.press(ANA, f"rsvp:{invitation}:p")
    assert await answer_of(bot, meeting, ids["ana"]) == (Answer.IN_PERSON, False)
    edited = bot.api.of("editMessageText")[-1]
    sr = t(bot, "sr_Cyrl")
    assert "✓ " + sr.pgettext("rsvp", "I will attend in person") in [b[0] for b in edited.buttons]
    # The meeting asks for a comment: the next text is it.
    await bot.say(ANA, "On mission until Tuesday; arriving in the afternoon.")
    async with bot.services.db.transaction() as tx:
        saved = await tx.invitations.get(invitation)
    assert saved is not None and saved.comment and saved.comment.startswith("On mission")

    await bot.press(ANA, f"rsvp:{invitation}:o")
    assert await answer_of(bot, meeting, ids["ana"]) == (Answer.ONLINE, False)

    bot.clock.set(datetime(2026, 12, 1, 16, 0, tzinfo=UTC))  # the deadline
    await bot.press(ANA, f"rsvp:{invitation}:n")
    assert bot.alerts()[-1] == sr.gettext(
        "The deadline for answers has passed; your answer was not changed."
    )
    assert await answer_of(bot, meeting, ids["ana"]) == (Answer.ONLINE, False)


async def test_the_same_press_delivered_twice_counts_once(bot: Harness) -> None:
    ids = await delegation(bot)
    meeting = await announce(bot)
    invitation = await invitation_of(bot, meeting, ids["marko"])
    update = callback_update(MARKO, f"rsvp:{invitation}:p")
    await bot.feed(update)
    async with bot.services.db.transaction() as tx:
        first = await tx.invitations.get(invitation)
    bot.clock.advance(timedelta(minutes=5))
    calls = await bot.feed(update)
    assert calls == []  # dropped before any handler ran
    async with bot.services.db.transaction() as tx:
        again = await tx.invitations.get(invitation)
    assert again == first


@pytest.mark.parametrize(
    "data",
    [
        "rsvp:{other}:p",
        "rsvp:999999:p",
        "rsvp:{mine}:x",
        "rsvp:{mine}",
        "rsvp:abc:p",
        "ics:{other}",
    ],
)
async def test_forged_and_stale_buttons_change_nothing(bot: Harness, data: str) -> None:
    ids = await delegation(bot)
    meeting = await announce(bot)
    mine = await invitation_of(bot, meeting, ids["marko"])
    other = await invitation_of(bot, meeting, ids["ana"])
    async with bot.services.db.transaction() as tx:
        before = await tx.invitations.of_meeting(meeting)
    await bot.press(MARKO, data.format(mine=mine, other=other))
    async with bot.services.db.transaction() as tx:
        assert await tx.invitations.of_meeting(meeting) == before
    mk = t(bot, "mk")
    assert bot.alerts()[-1] in {
        mk.gettext("This invitation is addressed to someone else."),
        mk.gettext("This button is no longer valid."),
    }


async def test_buttons_of_a_cancelled_meeting_and_answers_not_offered(bot: Harness) -> None:
    ids = await delegation(bot)
    meeting = await announce(bot, mode=MeetingMode.IN_PERSON, online_url=None, tentative=False)
    invitation = await invitation_of(bot, meeting, ids["marko"])
    await bot.press(MARKO, f"rsvp:{invitation}:o")  # online is not offered
    mk = t(bot, "mk")
    assert bot.alerts()[-1] == mk.gettext("This answer is not offered for this meeting.")
    await bot.say(ADMIN, f"/cancelmeeting {meeting}")
    await bot.press(ADMIN, f"mtgc:{meeting}")
    await bot.deliver()
    assert "❌" in bot.api.sent(MARKO.id)[-1].text
    cancelled = _file_bytes(bot.api.sent(MARKO.id, "sendDocument")[-1].params["document"])
    assert b"METHOD:CANCEL" in cancelled and b"STATUS:CANCELLED" in cancelled
    await bot.press(MARKO, f"rsvp:{invitation}:p")
    assert bot.alerts()[-1] == mk.gettext("This meeting has been cancelled.")
    assert await answer_of(bot, meeting, ids["marko"]) == (None, False)


async def test_a_new_date_asks_for_confirmation_a_new_time_does_not(bot: Harness) -> None:
    ids = await delegation(bot)
    meeting = await announce(bot)
    for person, key in ((ANA, "ana"), (MARKO, "marko")):
        await bot.press(person, f"rsvp:{await invitation_of(bot, meeting, ids[key])}:p")

    # Same day, later: everyone is told, answers stay valid.
    current = await bot.services.meetings.get(meeting)
    assert current is not None
    later = spec(starts_at=START + timedelta(hours=1), ends_at=START + timedelta(hours=8))
    outcome = await bot.services.meetings.edit(meeting, later, edited_by=ADMIN_ID)
    assert outcome.notice_id is not None and set(outcome.changes) == {"starts_at", "ends_at"}
    await bot.deliver()
    update_text = bot.api.sent(MARKO.id)[-1].text
    assert t(bot, "mk").gettext("🔄 <b>Meeting updated</b>") in update_text
    assert "10:30" in update_text  # old → new, in Skopje time
    assert await answer_of(bot, meeting, ids["marko"]) == (Answer.IN_PERSON, False)

    # Another day: the answers must be confirmed again.
    moved = spec(starts_at=START + timedelta(days=1), ends_at=START + timedelta(days=1, hours=7))
    await bot.services.meetings.edit(meeting, moved, edited_by=ADMIN_ID)
    await bot.deliver()
    assert await answer_of(bot, meeting, ids["marko"]) == (Answer.IN_PERSON, True)
    assert await answer_of(bot, meeting, ids["giorgi"]) == (None, False)
    mk = t(bot, "mk")
    assert (
        mk.gettext("<b>Because the date changed, please confirm your answer again.</b>")
        in bot.api.sent(MARKO.id)[-1].text
    )
    await bot.press(MARKO, f"rsvp:{await invitation_of(bot, meeting, ids['marko'])}:p")
    assert await answer_of(bot, meeting, ids["marko"]) == (Answer.IN_PERSON, False)

    # A change of venue only: an update saying so.
    await bot.services.meetings.edit(
        meeting, spec(**{**moved.__dict__, "venue": "Hotel Metropol"}), edited_by=ADMIN_ID
    )
    await bot.deliver()
    assert "Hotel Metropol" in bot.api.sent(ANA.id)[-1].text


async def test_editing_through_the_chat_and_nothing_to_tell(bot: Harness) -> None:
    await delegation(bot)
    meeting = await announce(bot)
    before = len(bot.api.sent(ANA.id))
    await bot.say(ADMIN, f"/editmeeting {meeting}")
    await bot.press(ADMIN, "mtg:edit:title")
    await bot.say(ADMIN, "Technical meeting on MLA (second session)")
    await bot.press(ADMIN, "mtg:publish")
    assert "no update was sent" in bot.last_text(ADMIN)
    await bot.deliver()
    assert len(bot.api.sent(ANA.id)) == before
    saved = await bot.services.meetings.get(meeting)
    assert saved is not None and saved.title.endswith("(second session)")


async def test_a_substitute_from_the_same_delegation(bot: Harness) -> None:
    ids = await delegation(bot)
    meeting = await announce(bot, audience=Audience(members=(ids["ana"], ids["marko"])))
    invitation = await invitation_of(bot, meeting, ids["ana"])
    await bot.press(ANA, f"rsvs:{invitation}", message_id=77)  # pressed on the card
    offered = bot.last_buttons(ANA)
    # The card's message rides along, to be redrawn once a colleague is named.
    lidija = (f"{LIDIJA.first_name} {LIDIJA.last_name}", f"rsvs:{invitation}:{ids['lidija']}:77")
    assert lidija in offered
    assert all(str(ids["marko"]) not in data.split(":")[2] for _, data in offered[:-1])
    await bot.press(ANA, f"rsvs:{invitation}:{ids['marko']}")  # another country: refused
    async with bot.services.db.transaction() as tx:
        assert await tx.invitations.of(meeting, ids["lidija"]) is None
    await bot.press(ANA, f"rsvs:{invitation}:{ids['lidija']}")
    await bot.deliver()
    async with bot.services.db.transaction() as tx:
        substitute = await tx.invitations.of(meeting, ids["lidija"])
        original = await tx.invitations.get(invitation)
    assert substitute is not None and substitute.stands_in_for == ids["ana"]
    assert original is not None and original.substitute_id == ids["lidija"]
    assert original.answer is Answer.NOT_ATTENDING
    # The substitute receives the invitation, in her language.
    assert t(bot, "sr_Latn").gettext("📅 <b>Invitation to a meeting</b>") in bot.last_text(LIDIJA)
    # Asking the secretariat for a link for someone new tells the admins.
    await bot.press(ANA, f"rsvs:{invitation}:new")
    assert "asks for an invitation link" in bot.last_text(ADMIN)


async def test_status_and_both_exports(bot: Harness) -> None:
    ids = await delegation(bot)
    meeting = await announce(bot)
    await bot.press(ANA, f"rsvp:{await invitation_of(bot, meeting, ids['ana'])}:p")
    await bot.press(MARKO, f"rsvp:{await invitation_of(bot, meeting, ids['marko'])}:n")
    await bot.say(ADMIN, f"/status {meeting}")
    status = bot.last_text(ADMIN)
    assert "4 invited" in status and "No answer yet: 2" in status
    assert "Giorgi Beridze (GE)" in status and "Ana Petrović" not in status
    assert "4 sent" in status
    await bot.say(ADMIN, f"/export {meeting}")
    documents = bot.api.sent(ADMIN.id, "sendDocument")[-2:]
    raw_csv, raw_xlsx = (doc.params["document"] for doc in documents)
    text = _file_bytes(raw_csv).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["# Attendance"]
    assert rows[2][:2] == ["GE", "Giorgi Beridze"]  # by country, then name
    assert any(row[:2] == ["RS", "Ana Petrović"] and row[5] == "in person" for row in rows)
    workbook = load_workbook(io.BytesIO(_file_bytes(raw_xlsx)))
    assert workbook.sheetnames == ["Attendance", "Answers", "Delivery log"]
    log = list(workbook["Delivery log"].iter_rows(values_only=True))
    assert len(log) == 1 + 4 and {row[4] for row in log[1:]} == {"sent"}


def _file_bytes(value: object) -> bytes:
    assert isinstance(value, UploadedFile), value
    return value.content


async def test_members_see_their_meetings(bot: Harness) -> None:
    ids = await delegation(bot)
    meeting = await announce(bot)
    await bot.press(GIORGI, f"rsvp:{await invitation_of(bot, meeting, ids['giorgi'])}:t")
    await bot.say(GIORGI, "/meetings")
    card = bot.last_text(GIORGI)
    ka = t(bot, "ka")
    assert ka.gettext(
        "<b>Your answer:</b> {answer}", answer=ka.pgettext("rsvp", "Not sure yet")
    ) in (card)
    assert "Asia/Tbilisi" in card


async def test_members_only_commands_refuse_others(bot: Harness) -> None:
    ids = await delegation(bot)
    meeting = await announce(bot)
    for command in ("/newmeeting", f"/status {meeting}", f"/export {meeting}", "/announce all"):
        await bot.say(MARKO, command)
        assert bot.last_text(MARKO) == t(bot, "mk").gettext(
            "You are not allowed to use this command."
        )
    await bot.press(MARKO, f"mtgc:{meeting}")
    assert await bot.services.meetings.get(meeting) is not None
    assert (await bot.services.meetings.get(meeting)).status.value == "announced"  # type: ignore[union-attr]
    assert ids


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


async def test_invitations_table_has_one_row_per_invitee(bot: Harness) -> None:
    await delegation(bot)
    meeting = await announce(bot)
    async with bot.services.db.transaction() as tx:
        count = (
            await tx.connection.execute(
                sa.select(sa.func.count())
                .select_from(invitations)
                .where(invitations.c.meeting_id == meeting)
            )
        ).scalar_one()
    assert count == 4


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


async def test_a_role_narrows_a_meetings_audience(bot: Harness) -> None:
    ids = await delegation(bot)
    async with bot.services.db.transaction() as tx:
        team = await tx.teams.by_slug("criminal")
        assert team is not None
        await tx.connection.execute(
            sa.update(sa.table("team_members", sa.column("member_id"), sa.column("role")))
            .where(sa.column("member_id") == ids["marko"])
            .values(role=TeamRole.CHAIR.value)
        )
    meeting = await announce(bot, audience=Audience(teams=("criminal",), roles=("chair",)))
    async with bot.services.db.transaction() as tx:
        invited = [i.member_id for i in await tx.invitations.of_meeting(meeting)]
    assert invited == [ids["marko"]]
    with pytest.raises(MeetingError):
        await bot.services.meetings.announce(
            spec(audience=Audience(roles=("focal_point",))), created_by=ADMIN_ID
        )


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


async def test_members_approved_before_an_upgrade_get_the_new_menu(bot: Harness) -> None:
    await delegation(bot)
    async with bot.services.db.transaction() as tx:
        await tx.meta.set("menu_version", "1")  # as an older Convene left it
    await bot.stop()
    restarted = await Harness(bot.settings, bot.clock, bot.api).start()
    try:
        assert restarted.app is not None
        await restarted.app.bot_data["menu_refresh"]
        menu = [
            c
            for c in bot.api.of("setMyCommands")
            if c.params.get("scope", {}).get("chat_id") == GIORGI.id
        ]
        assert "meetings" in [c["command"] for c in menu[-1].params["commands"]]
        assert menu[-1].params["commands"][0]["description"] == t(bot, "ka").pgettext(
            "command", "Start or continue your registration"
        )
        assert await restarted.services.roster.meta("menu_version") != "1"
    finally:
        await restarted.stop()
        await bot.start()


async def test_a_translated_meeting_reads_in_the_members_language(bot: Harness) -> None:
    await delegation(bot)
    translations = {
        "mk": MeetingText("Технички состанок за правна помош", "Втор состанок.", "1. Отворање")
    }
    await announce(bot, translations=translations)
    marko = bot.last_text(MARKO)
    assert "Технички состанок за правна помош" in marko and "1. Отворање" in marko
    assert "Technical meeting" not in marko
    assert t(bot, "mk").language_name("en") not in marko  # no "not translated" marker
    assert "Technical meeting on mutual legal assistance" in bot.last_text(ANA)


# -- buttons answer only what they were drawn for ----------------------------------------------

EMINA = Person(505, "Emina", "Hadžić", "bs")  # Sarajevo: "Bosnia & Herzegovina"


async def _dialog_until_country(bot: Harness) -> None:
    await bot.say(ADMIN, "/newmeeting")
    await bot.say(ADMIN, "Regional meeting on MLA & extradition")
    await bot.press(ADMIN, "mtg:skip:description")
    await bot.say(ADMIN, "1. Opening")
    await bot.say(ADMIN, "Sarajevo")
    await bot.say(ADMIN, "10.12.2026 9:30")
    await bot.say(ADMIN, "17:00")
    await bot.press(ADMIN, "mtg:mode:in_person")
    await bot.say(ADMIN, "Palace of Justice")
    await bot.say(ADMIN, "Sarajevo")


async def test_an_unknown_host_country_is_asked_again(bot: Harness) -> None:
    await delegation(bot)
    await _dialog_until_country(bot)
    before = len(bot.api.sent(ADMIN.id))
    await bot.say(ADMIN, "Atlantis")
    assert bot.replies(ADMIN)[before:] == ["“Atlantis” is not a two-letter ISO country code."]
    await bot.say(ADMIN, "<b>Atlantis</b>")  # shown as typed, not as markup
    assert bot.last_text(ADMIN) == (
        "“&lt;b&gt;Atlantis&lt;/b&gt;” is not a two-letter ISO country code."
    )
    await bot.say(ADMIN, "BA")
    assert bot.last_text(ADMIN).startswith("Who is invited?")
    found = await _dialog(bot)
    assert found is not None and found[1]["country"] == "BA"


async def test_a_double_tap_on_skip_skips_one_question(bot: Harness) -> None:
    await delegation(bot)
    await bot.say(ADMIN, "/newmeeting")
    assert bot.last_buttons(ADMIN) == []  # the title cannot be skipped
    await bot.say(ADMIN, "Regional meeting on MLA & extradition")
    ((_, data),) = bot.last_buttons(ADMIN)
    assert data == "mtg:skip:description"
    await bot.press(ADMIN, data)
    await bot.press(ADMIN, data)  # the second tap arrives when the agenda is asked
    assert bot.alerts()[-1] == "This button is no longer valid."
    found = await _dialog(bot)
    assert found is not None and found[0] == "agenda"
    await bot.say(ADMIN, "1. Opening\n2. Extradition")
    # The same at the venue: the old button does not skip the city.
    for answer in ("Sarajevo", "10.12.2026 9:30", "17:00"):
        await bot.say(ADMIN, answer)
    await bot.press(ADMIN, "mtg:mode:in_person")
    await bot.press(ADMIN, "mtg:skip:venue")
    await bot.press(ADMIN, "mtg:skip:venue")
    assert bot.alerts()[-1] == "This button is no longer valid."
    found = await _dialog(bot)
    assert found is not None and found[0] == "city"
    # A button of another version ("mtg:skip", no question named) skips nothing.
    await bot.press(ADMIN, "mtg:skip")
    found = await _dialog(bot)
    assert found is not None and found[0] == "city"


async def test_the_card_shows_the_substitute_once_named(bot: Harness) -> None:
    ids = await delegation(bot)
    meeting = await announce(bot, audience=Audience(members=(ids["ana"],)))
    invitation = await invitation_of(bot, meeting, ids["ana"])
    await bot.press(ANA, f"rsvs:{invitation}", message_id=77)
    choose = next(data for label, data in bot.last_buttons(ANA) if label.startswith("Lidija"))
    await bot.press(ANA, choose, message_id=78)
    redrawn = [c for c in bot.api.of("editMessageText") if c.params["message_id"] == 77]
    assert len(redrawn) == 1 and redrawn[0].chat_id == ANA.id
    sr = t(bot, "sr_Cyrl")
    assert (
        sr.gettext(
            "<b>Your answer:</b> {answer}",
            answer=sr.pgettext("rsvp", "I will not attend"),
        )
        in redrawn[0].text
    )
    assert "✓ " + sr.pgettext("rsvp", "I will not attend") in [b[0] for b in redrawn[0].buttons]


async def test_a_card_of_a_cancelled_meeting_or_past_its_deadline_loses_its_buttons(
    bot: Harness,
) -> None:
    ids = await delegation(bot)
    await add_member(bot, EMINA, "BA", "bs", "Europe/Sarajevo")
    meeting = await announce(bot)
    emina = await invitation_of(bot, meeting, await _member_id(bot, EMINA))
    bs = t(bot, "bs")
    card = bot.api.sent(EMINA.id)[-1]
    assert bs.gettext("Please answer by {deadline}.", deadline="X").split("X")[0] in card.text

    # Past the deadline: told why, and the card is redrawn with the calendar file only.
    bot.clock.set(datetime(2026, 12, 1, 16, 0, tzinfo=UTC))
    edits = len(bot.api.of("editMessageText"))
    await bot.press(EMINA, f"rsvp:{emina}:p")
    assert bot.alerts()[-1] == bs.gettext(
        "The deadline for answers has passed; your answer was not changed."
    )
    (redrawn,) = bot.api.of("editMessageText")[edits:]
    assert redrawn.buttons == [(bs.gettext("Calendar file"), f"ics:{emina}")]
    assert bs.gettext("Please answer by {deadline}.", deadline="X").split("X")[0] not in (
        redrawn.text
    )

    # Cancelled: told why, and no button is left.
    ana = await invitation_of(bot, meeting, ids["ana"])
    await bot.services.meetings.cancel(meeting, cancelled_by=ADMIN_ID)
    await bot.deliver()
    for person, data in ((EMINA, f"rsvp:{emina}:o"), (ANA, f"rsvs:{ana}"), (ANA, f"ics:{ana}")):
        edits = len(bot.api.of("editMessageText"))
        await bot.press(person, data)
        reader = bs if person is EMINA else t(bot, "sr_Cyrl")
        assert bot.alerts()[-1] == reader.gettext("This meeting has been cancelled.")
        (redrawn,) = bot.api.of("editMessageText")[edits:]
        assert redrawn.buttons == []
        assert reader.gettext("❌ <b>Meeting cancelled</b>") in redrawn.text
    assert await answer_of(bot, meeting, await _member_id(bot, EMINA)) == (None, False)


async def _member_id(bot: Harness, person: Person) -> int:
    principal = await bot.services.roster.principal(person.id)
    assert principal.member is not None
    return principal.member.id


async def test_a_meeting_abroad_also_shows_the_time_at_the_venue(bot: Harness) -> None:
    """A 09:30 meeting in Belgrade reads 12:30 in Tbilisi, and 09:30 at the venue."""
    ids = await delegation(bot)
    await announce(bot)
    ka = t(bot, "ka")
    giorgi = bot.api.sent(GIORGI.id)[-1].text
    assert (
        ka.gettext(
            "When: {period}", period=ka.period(START, START + timedelta(hours=7), "Asia/Tbilisi")
        )
        in giorgi
    )
    assert "12:30–19:30 (Asia/Tbilisi)" in giorgi
    venue = ka.gettext(
        "Local time at the venue: {period}",
        period=ka.period(START, START + timedelta(hours=7), "Europe/Belgrade"),
    )
    assert venue in giorgi and "09:30–16:30 (Europe/Belgrade)" in venue
    # Belgrade and Skopje keep the same clock: no second line for Ana or Marko.
    sr, mk = t(bot, "sr_Cyrl"), t(bot, "mk")
    assert sr.gettext("Local time at the venue: {period}", period="X").split("X")[0] not in (
        bot.last_text(ANA)
    )
    assert mk.gettext("Local time at the venue: {period}", period="X").split("X")[0] not in (
        bot.last_text(MARKO)
    )
    # An online meeting has no venue: its time is the host's.
    online = await announce(bot, mode=MeetingMode.ONLINE, venue=None, city=None)
    card = bot.api.sent(GIORGI.id)[-1].text
    assert (
        ka.gettext(
            "Host's local time: {period}",
            period=ka.period(START, START + timedelta(hours=7), "Europe/Belgrade"),
        )
        in card
    )
    await bot.press(GIORGI, f"rsvp:{await invitation_of(bot, online, ids['giorgi'])}:o")
    redrawn = bot.api.of("editMessageText")[-1].text
    assert "(Europe/Belgrade)" in redrawn and "(Asia/Tbilisi)" in redrawn


# -- names with "&" and "<": every view reaches Telegram and reads them once -------------------


EMIR = Person(505, "Emir", "Hodžić", "en")  # Sarajevo; reads English


def shown(text: str) -> str:
    """What the reader sees of a message sent with parse mode HTML (the fake has already
    refused anything Telegram would not parse)."""
    return parse_html(text).text


async def test_a_meeting_of_police_and_justice_in_bosnia_and_herzegovina_reads_right(
    bot: Harness,
) -> None:
    await bot.services.roster.create_team("Police & Justice", "police")
    await bot.say(ADMIN, "/start")
    ana = await add_member(bot, ANA, "RS", "sr_Cyrl", "Europe/Belgrade", team="police")
    emir = await add_member(bot, EMIR, "BA", "en", "Europe/Sarajevo", team="police")
    bosnia = t(bot, "en").country("BA")
    assert bosnia == "Bosnia & Herzegovina"  # CLDR's English name

    await bot.say(ADMIN, "/newmeeting")
    await bot.say(ADMIN, "MLA & extradition")
    await bot.say(ADMIN, "Cases <2025> & practice")  # description
    await bot.press(ADMIN, "mtg:skip:agenda")
    await bot.say(ADMIN, "Sarajevo")
    await bot.say(ADMIN, "10.12.2026 9:30")
    await bot.say(ADMIN, "17:00")
    await bot.press(ADMIN, "mtg:mode:in_person")
    await bot.say(ADMIN, "Palace of Justice & Courts")
    await bot.say(ADMIN, "Sarajevo")
    await bot.say(ADMIN, "ba")
    await bot.say(ADMIN, "team=police")
    await bot.say(ADMIN, "2026-12-01")
    preview = shown(bot.last_text(ADMIN))
    assert "MLA & extradition" in preview and "Cases <2025> & practice" in preview
    assert f"Palace of Justice & Courts, Sarajevo, {bosnia}" in preview
    await bot.press(ADMIN, "mtg:publish")
    progress = shown(bot.api.sent(ADMIN.id)[-1].text)
    assert "invitation to “MLA & extradition”" in progress and "&amp;" not in progress
    await bot.deliver()
    summary = shown(bot.api.of("editMessageText")[-1].text)
    assert "invitation to “MLA & extradition”" in summary and "2 of 2 delivered" in summary

    card = shown(bot.last_text(EMIR))
    assert "MLA & extradition" in card and bosnia in card and "&amp;" not in card
    meeting = (await bot.services.meetings.listing(upcoming=True))[0].id
    await bot.press(EMIR, f"rsvp:{await invitation_of(bot, meeting, emir)}:p")
    assert "MLA & extradition" in shown(bot.api.of("editMessageText")[-1].text)

    await bot.say(ADMIN, f"/status {meeting}")
    status = shown(bot.last_text(ADMIN))
    assert f"#{meeting} MLA & extradition" in status
    # Counts are headed as a report says it, not in the member's words on the button.
    assert "In person: 1" in status and "Not attending: 0" in status
    assert t(bot, "en").pgettext("rsvp", "I will attend in person") not in status
    assert f"{bosnia}: in person 1" in status
    assert "Ana Petrović (RS)" in status and "&amp;" not in status

    await bot.say(ADMIN, f"/announce meeting={meeting}")
    await bot.say(ADMIN, "MLA & extradition: minutes <draft>")
    await bot.press(ADMIN, "ann:nodoc")
    assert "MLA & extradition: minutes <draft>" in shown(bot.last_text(ADMIN))  # the preview
    await bot.press(ADMIN, "ann:send")
    assert "announcement “MLA & extradition: minutes <draft>”" in shown(
        bot.api.sent(ADMIN.id)[-1].text
    )
    await bot.deliver()
    assert "MLA & extradition: minutes <draft>" in shown(bot.last_text(EMIR))
    assert ana


async def test_the_longest_texts_a_meeting_accepts_still_reach_every_invitee(
    bot: Harness,
) -> None:
    ids = await delegation(bot)
    description = "Cases & practice. " * (MAX_TEXT // 18)
    agenda = "1. <Opening> & welcome\n" * (MAX_TEXT // 23)
    meeting = await announce(
        bot, title="MLA & extradition " * 16, description=description, agenda=agenda
    )
    card = bot.last_text(GIORGI)  # refused by the fake if it did not fit: the test would fail
    assert parse_html(card).length <= 4096
    assert "Cases & practice." in shown(card) and "1. <Opening> & welcome" in shown(card)
    assert "…" in shown(card)  # shortened, where it would not fit
    # The calendar file has the texts whole.
    calendar = _file_bytes(bot.api.sent(GIORGI.id, "sendDocument")[-1].params["document"])
    assert calendar.decode().replace("\r\n ", "").count("Cases & practice.") == MAX_TEXT // 18
    # The card is redrawn with the answer, and the secretariat's preview of an edit fits too.
    await bot.press(GIORGI, f"rsvp:{await invitation_of(bot, meeting, ids['giorgi'])}:o")
    assert parse_html(bot.api.of("editMessageText")[-1].text).length <= 4096
    await bot.say(ADMIN, f"/editmeeting {meeting}")
    assert "…" in shown(bot.last_text(ADMIN))


async def _dialog(bot: Harness) -> tuple[str, dict[str, Any]] | None:
    """(step, data) of the admin's meeting dialog, if one is open."""
    pending = await bot.services.pending.of(ADMIN.id, Feature.MEETING)
    return None if pending is None else (pending.step or "", pending.data)
