"""Approval of registrations (handlers/registration_approval.py) by the secretariat and focal points: the
request card, its buttons, `/pending`."""

from __future__ import annotations

from bot.domain.models import Approval, MemberStatus, Role
from storage.schema import members
from tests.auxil.harness import Harness, Person
from tests.auxil.people import ADMIN, new_invite, register, setup_team
from tests.auxil.reading import count, t

FOCAL_RS = Person(300, "Jelena", "Jović", "sr")


FOCAL_MK = Person(301, "Bojan", "Bojanovski", "mk")


APPLICANT = Person(302, "Nikola", "Nikolić", "ru")


async def with_approvers(bot: Harness) -> None:
    await setup_team(bot)
    await bot.services.roster.grant(FOCAL_RS.id, Role.FOCAL_POINT, "RS")
    await bot.services.roster.grant(FOCAL_MK.id, Role.FOCAL_POINT, "MK")
    # Approvers must have talked to the bot once for it to be able to write to them.
    await bot.say(ADMIN, "/start")
    await bot.say(FOCAL_RS, "/start")
    await bot.press(FOCAL_RS, "lang:sr_Latn")
    await bot.say(FOCAL_MK, "/start")


async def pending_applicant(bot: Harness) -> int:
    token = await new_invite(bot, approval=Approval.MANUAL)
    await register(bot, APPLICANT, token, "ru")
    principal = await bot.services.roster.principal(APPLICANT.id)
    assert principal.member is not None
    assert principal.member.status is MemberStatus.PENDING
    return principal.member.id


async def test_approval_request_goes_to_admins_and_the_countrys_focal_points(bot: Harness) -> None:
    await with_approvers(bot)
    member_id = await pending_applicant(bot)
    assert bot.last_text(APPLICANT) == t(bot, "ru").gettext(
        "Thank you, {name}. Your registration was sent to the secretariat for approval; you will "
        "get a message here as soon as it is decided.",
        name="Nikolić Nikola" if False else "Nikola Nikolić",
    )
    admin_card = bot.api.last(ADMIN.id)
    focal_card = bot.api.last(FOCAL_RS.id)
    assert admin_card.buttons == [
        ("Approve", f"appr:{member_id}:a"),
        ("Reject", f"appr:{member_id}:r"),
    ]
    # Each approver reads the card in their own language.
    assert focal_card.buttons[0][0] == t(bot, "sr_Latn").gettext("Approve")
    assert "Nikola Nikolić" in focal_card.text
    # The Macedonian focal point is not asked about a Serbian applicant.
    assert all("Nikola" not in text for text in bot.replies(FOCAL_MK))

    await bot.press(FOCAL_RS, f"appr:{member_id}:a", message_id=focal_card_id(bot, FOCAL_RS))
    principal = await bot.services.roster.principal(APPLICANT.id)
    assert principal.member is not None and principal.member.status is MemberStatus.ACTIVE
    assert bot.last_text(APPLICANT).startswith(
        t(bot, "ru").gettext(
            "Good news: your registration was approved. Welcome to {teams}! Use /help to see what "
            "you can do.",
            teams="X",
        )[:15]
    )
    # The admin's card now shows the outcome instead of buttons.
    edits = [c for c in bot.api.of("editMessageText") if c.chat_id == ADMIN.id]
    assert edits and "Approved by Jelena Jović." in edits[-1].text
    assert not edits[-1].buttons
    # A late press by the admin changes nothing.
    calls = await bot.press(ADMIN, f"appr:{member_id}:r")
    assert calls[0].params["text"] == t(bot, "en").gettext("This registration was already decided.")
    assert await count(bot, members) == 1


def focal_card_id(bot: Harness, person: Person) -> int:
    return int(bot.api.last(person.id).params.get("message_id") or 1)


async def test_rejection_deletes_the_applicant_and_tells_them(bot: Harness) -> None:
    await with_approvers(bot)
    member_id = await pending_applicant(bot)
    await bot.press(ADMIN, f"appr:{member_id}:r")
    assert bot.last_text(APPLICANT) == t(bot, "ru").gettext(
        "Your registration was not approved. If you think this is a mistake, please contact the "
        "secretariat."
    )
    assert await count(bot, members) == 0
    calls = await bot.press(FOCAL_RS, f"appr:{member_id}:a")
    assert calls[0].params["text"] == t(bot, "sr_Latn").gettext(
        "This registration was already rejected."
    )
    await bot.say(APPLICANT, "/start")
    assert "invitation" in bot.last_text(APPLICANT) or bot.last_text(APPLICANT)


async def test_a_focal_point_of_another_country_cannot_decide(bot: Harness) -> None:
    await with_approvers(bot)
    member_id = await pending_applicant(bot)
    calls = await bot.press(FOCAL_MK, f"appr:{member_id}:a")
    assert calls[0].params["text"] == t(bot, "mk").gettext("You are not allowed to do this.")
    stranger = Person(399, "Mallory", None, "en")
    calls = await bot.press(stranger, f"appr:{member_id}:a")
    assert calls[0].params["text"] == "You are not allowed to do this."
    principal = await bot.services.roster.principal(APPLICANT.id)
    assert principal.member is not None and principal.member.status is MemberStatus.PENDING


async def test_pending_shows_cards_an_approver_may_decide(bot: Harness) -> None:
    await with_approvers(bot)
    member_id = await pending_applicant(bot)
    await bot.say(FOCAL_MK, "/pending")
    assert bot.last_text(FOCAL_MK) == t(bot, "mk").gettext(
        "No registrations are waiting for approval."
    )
    await bot.say(ADMIN, "/pending")
    assert bot.last_buttons(ADMIN)[0][1] == f"appr:{member_id}:a"
    await bot.say(APPLICANT, "/pending")
    assert bot.last_text(APPLICANT) == t(bot, "ru").gettext(
        "You are not allowed to use this command."
    )
