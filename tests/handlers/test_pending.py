"""One pending input per person, one router, one `/cancel` (handlers/pending.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from bot.domain.meetings import MeetingSpec
from bot.domain.models import Approval, Audience, MeetingMode
from bot.domain.pending import Feature
from storage.schema import pending_inputs, registrations
from tests.auxil.data import insert_member
from tests.auxil.harness import Harness, Person
from tests.conftest import ADMIN_ID

ADMIN = Person(ADMIN_ID, "Dragana", "Stojanović", "en")
EMINA = Person(505, "Emina", "Hadžić", "en")  # Sarajevo, "Bosnia & Herzegovina"; reads English
NIKOLA = Person(506, "Nikola", "Ivanov", "en")  # not registered yet
START = datetime(2026, 12, 10, 8, 30, tzinfo=UTC)

NOTHING = "There is nothing to cancel."
CANCELLED = "Cancelled: nothing was sent."
NOT_UNDERSTOOD = "I did not understand that. Use /help to see what I can do."


async def _team_with_emina(bot: Harness) -> int:
    await bot.services.roster.create_team("Regional expert team – criminal matters", "criminal")
    await bot.say(ADMIN, "/start")
    async with bot.services.db.transaction() as tx:
        return await insert_member(
            tx,
            EMINA.id,
            "Emina Hadžić",
            "BA",
            bot.clock.now(),
            locale="en",
            timezone="Europe/Sarajevo",
            team_slug="criminal",
        )


async def _meeting_asking_comments(bot: Harness, member_id: int) -> int:
    spec = MeetingSpec(
        title="Technical meeting on mutual legal assistance",
        description="Second meeting of the regional expert team.",
        agenda="1. Opening\n2. Action plan",
        starts_at=START,
        ends_at=START + timedelta(hours=7),
        timezone="Europe/Sarajevo",
        mode=MeetingMode.IN_PERSON,
        venue="Palace of Justice",
        city="Sarajevo",
        host_country="BA",
        online_url=None,
        rsvp_deadline=datetime(2026, 12, 1, 16, 0, tzinfo=UTC),
        audience=Audience(members=(member_id,)),
        tentative=False,
        ask_comment=True,
    )
    outcome = await bot.services.meetings.announce(spec, created_by=ADMIN_ID)
    await bot.deliver()
    async with bot.services.db.transaction() as tx:
        invitation = await tx.invitations.of(outcome.meeting.id, member_id)
    assert invitation is not None
    return invitation.id


async def _comment(bot: Harness, invitation_id: int) -> str | None:
    async with bot.services.db.transaction() as tx:
        invitation = await tx.invitations.get(invitation_id)
    assert invitation is not None
    return invitation.comment


async def test_cancel_after_an_rsvp_comment_was_asked_keeps_the_next_text_out(
    bot: Harness,
) -> None:
    """The bug of issue 12: "nothing to cancel", then the next text saved as the comment."""
    member_id = await _team_with_emina(bot)
    invitation = await _meeting_asking_comments(bot, member_id)
    await bot.press(EMINA, f"rsvp:{invitation}:p")
    assert "add a comment" in bot.last_text(EMINA)
    await bot.say(EMINA, "/cancel")
    assert bot.last_text(EMINA) == CANCELLED
    await bot.say(EMINA, "What time does it start?")
    assert bot.last_text(EMINA) == NOT_UNDERSTOOD
    assert await _comment(bot, invitation) is None
    # Nothing pending any more: a second /cancel says so.
    await bot.say(EMINA, "/cancel")
    assert bot.last_text(EMINA) == NOTHING


async def test_cancel_ends_a_time_zone_question_and_a_profile_edit(bot: Harness) -> None:
    await _team_with_emina(bot)
    await bot.say(EMINA, "/timezone")
    await bot.say(EMINA, "/cancel")
    assert bot.last_text(EMINA) == CANCELLED
    await bot.say(EMINA, "Skopje")
    assert bot.last_text(EMINA) == NOT_UNDERSTOOD
    account = await bot.services.roster.account(EMINA.id)
    assert account is not None and account.timezone == "Europe/Sarajevo"

    await bot.say(EMINA, "/profile")
    await bot.press(EMINA, "prof:institution")
    await bot.say(EMINA, "/cancel")
    assert bot.last_text(EMINA) == CANCELLED
    await bot.say(EMINA, "Ministry of Security")
    assert bot.last_text(EMINA) == NOT_UNDERSTOOD
    member = (await bot.services.roster.principal(EMINA.id)).member
    assert member is not None and member.institution == "Ministry of Justice"


async def test_asking_something_new_replaces_what_was_pending(bot: Harness) -> None:
    await _team_with_emina(bot)
    await bot.say(EMINA, "/timezone")
    await bot.say(EMINA, "/profile")
    await bot.press(EMINA, "prof:position")
    await bot.say(EMINA, "Senior prosecutor")  # the position, not a time zone
    member = (await bot.services.roster.principal(EMINA.id)).member
    assert member is not None and member.position == "Senior prosecutor"
    account = await bot.services.roster.account(EMINA.id)
    assert account is not None and account.timezone == "Europe/Sarajevo"
    assert await bot.services.pending.current(EMINA.id) is None


async def test_a_question_left_unanswered_expires(bot: Harness) -> None:
    await _team_with_emina(bot)
    await bot.say(EMINA, "/timezone")
    pending = await bot.services.pending.current(EMINA.id)
    assert pending is not None and pending.feature is Feature.TIMEZONE
    bot.clock.advance(timedelta(days=1, minutes=1))
    await bot.say(EMINA, "Skopje")  # a day later this is not taken as the answer
    assert bot.last_text(EMINA) == NOT_UNDERSTOOD
    await bot.say(EMINA, "/cancel")
    assert bot.last_text(EMINA) == NOTHING
    # The daily retention purge removes what expired.
    async with bot.services.db.transaction() as tx:
        await bot.services.pending.ask_in(tx, EMINA.id, Feature.TIMEZONE)
    bot.clock.advance(timedelta(days=2))
    await bot.services.privacy.purge()
    async with bot.services.db.transaction() as tx:
        left = await tx.connection.execute(sa.select(sa.func.count()).select_from(pending_inputs))
    assert left.scalar_one() == 0


async def test_cancel_ends_a_registration_and_the_link_starts_it_anew(bot: Harness) -> None:
    await bot.services.roster.create_team("Regional expert team – criminal matters", "criminal")
    created = await bot.services.invites.create(team_slugs=["criminal"], approval=Approval.AUTO)
    await bot.say(NIKOLA, f"/start {created.token}")
    await bot.press(NIKOLA, "reg:lang:en")
    await bot.press(NIKOLA, "reg:consent:yes")
    await bot.press(NIKOLA, "reg:name:keep")
    await bot.press(NIKOLA, "reg:country:MK")
    await bot.say(NIKOLA, "/cancel")
    assert bot.last_text(NIKOLA) == CANCELLED
    await bot.say(NIKOLA, "Ministry of Justice")  # no longer the institution of a draft
    assert bot.last_text(NIKOLA) == NOT_UNDERSTOOD
    async with bot.services.db.transaction() as tx:
        drafts = await tx.connection.execute(sa.select(sa.func.count()).select_from(registrations))
    assert drafts.scalar_one() == 0
    # The same link starts from the first step, not where the cancelled one stopped.
    await bot.say(NIKOLA, f"/start {created.token}")
    draft = await bot.services.registrations.current(NIKOLA.id)
    assert draft is not None and draft.step.value == "language"


async def test_cancel_ends_a_meeting_being_written_and_its_preview_buttons(bot: Harness) -> None:
    await _team_with_emina(bot)
    await bot.say(ADMIN, "/newmeeting")
    await bot.say(ADMIN, "Regional meeting on MLA & extradition")
    await bot.say(ADMIN, "/cancel")
    assert bot.last_text(ADMIN) == CANCELLED
    await bot.say(ADMIN, "Second meeting of the regional expert team")
    assert bot.last_text(ADMIN) == NOT_UNDERSTOOD
    assert await bot.services.pending.current(ADMIN.id) is None
    await bot.press(ADMIN, "mtg:skip:description")  # a button of the cancelled dialog
    assert bot.alerts()[-1] == "This button is no longer valid."


async def test_cancel_ends_a_request_answer_being_typed(bot: Harness) -> None:
    """Also the pending input of a request's “Answer” button (handlers/requests.py)."""
    await _team_with_emina(bot)
    async with bot.services.db.transaction() as tx:
        await bot.services.pending.ask_in(tx, EMINA.id, Feature.REQUEST, subject=42)
    pending = await bot.services.pending.current(EMINA.id)
    assert pending is not None and pending.subject_id == 42
    await bot.say(EMINA, "/cancel")
    assert bot.last_text(EMINA) == CANCELLED
    assert await bot.services.pending.current(EMINA.id) is None
