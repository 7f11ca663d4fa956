"""Answering an invitation (handlers/rsvp.py): the answer buttons, the deadline, a substitute,
`/meetings`; through the real Application, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.models import Answer, Audience, MeetingMode
from tests.auxil.harness import Harness, Person, callback_update
from tests.auxil.meetings import announce, answer_of, invitation_of
from tests.auxil.meetings import file_bytes as _file_bytes
from tests.auxil.people import ADMIN, ANA, GIORGI, LIDIJA, MARKO, add_member, delegation
from tests.auxil.people import member_id as _member_id
from tests.auxil.reading import t
from tests.conftest import ADMIN_ID


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


# -- buttons answer only what they were drawn for ----------------------------------------------

EMINA = Person(505, "Emina", "Hadžić", "bs")  # Sarajevo: "Bosnia & Herzegovina"


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
