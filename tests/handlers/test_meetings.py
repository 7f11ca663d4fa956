"""Meetings (handlers/meetings.py, meeting_cards.py): the secretariat's dialog, edits and
cancellation, and the card each invitee reads; through the real Application, on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from bot.domain.meetings import MAX_TEXT, MeetingError
from bot.domain.models import Answer, Audience, MeetingMode, MeetingText, TeamRole
from bot.domain.pending import Feature
from storage.schema import invitations
from tests.auxil.harness import Harness, Person
from tests.auxil.meetings import START, announce, answer_of, invitation_of, spec
from tests.auxil.meetings import file_bytes as _file_bytes
from tests.auxil.people import ADMIN, ANA, GIORGI, MARKO, add_member, delegation
from tests.auxil.reading import shown, t
from tests.auxil.telegram_rules import parse_html
from tests.conftest import ADMIN_ID


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
