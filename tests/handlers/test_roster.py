"""The roster for the secretariat (handlers/roster.py): `/members`, `/revoke`; and every
secretariat command refused to members and strangers."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bot.domain.models import MemberStatus
from storage.schema import invites, members
from tests.auxil.harness import Harness, Person
from tests.auxil.people import ADMIN, new_invite, register, setup_team
from tests.auxil.reading import count, t


@pytest.mark.parametrize("command", ["/invite criminal", "/members", "/revoke 1", "/pending"])
async def test_admin_commands_are_refused_to_others(bot: Harness, command: str) -> None:
    await setup_team(bot)
    member = Person(400, "Teodora", "Teodorović", "bg")
    await register(bot, member, await new_invite(bot), "bg", country="BG")
    stranger = Person(401, "Random", None, "uk")
    for person, locale in ((member, "bg"), (stranger, "uk")):
        await bot.say(person, command)
        assert bot.last_text(person) == t(bot, locale).gettext(
            "You are not allowed to use this command."
        )
    assert await count(bot, invites) == 1
    principal = await bot.services.roster.principal(member.id)
    assert principal.member is not None and principal.member.status is MemberStatus.ACTIVE
    # And the menu of a member does not offer them.
    menus = [
        c
        for c in bot.api.of("setMyCommands")
        if c.params.get("scope", {}).get("chat_id") == member.id
    ]
    assert not {"invite", "members", "revoke", "pending"} & {
        c["command"] for c in menus[-1].params["commands"]
    }


async def test_members_lists_and_filters(bot: Harness) -> None:
    await setup_team(bot)
    await register(bot, Person(420, "Ana", "A", "en"), await new_invite(bot), "en", country="RS")
    await register(bot, Person(421, "Boris", "B", "en"), await new_invite(bot), "en", country="MK")
    await bot.say(ADMIN, "/members")
    assert bot.last_text(ADMIN).startswith("<b>2 members</b>")
    await bot.say(ADMIN, "/members country=mk status=active team=criminal")
    listing = bot.last_text(ADMIN)
    assert listing.startswith("<b>1 member</b>") and "Boris B" in listing and "Ana A" not in listing
    await bot.say(ADMIN, "/members status=pending")
    assert bot.last_text(ADMIN) == "No members match."
    await bot.say(ADMIN, "/members status=sleeping")
    assert bot.last_text(ADMIN).startswith("Unknown filter value “sleeping”.")


async def test_revoke_withdraws_access_and_tells_the_member(bot: Harness) -> None:
    await setup_team(bot)
    person = Person(430, "Petra", "Novak", "sl")
    await register(bot, person, await new_invite(bot), "sl", country="SI")
    principal = await bot.services.roster.principal(person.id)
    assert principal.member is not None
    await bot.say(ADMIN, "/revoke")
    assert bot.last_text(ADMIN).startswith("Usage: /revoke")
    await bot.say(ADMIN, "/revoke 999")
    assert bot.last_text(ADMIN) == "There is no member #999."
    await bot.say(ADMIN, f"/revoke {principal.member.id}")
    # Nothing happens yet: the admin sees whom, and confirms.
    question = bot.api.last(ADMIN.id)
    assert f"Withdraw the access of member #{principal.member.id}?" in question.text
    assert "Name: Petra Novak" in question.text and "Country: Slovenia" in question.text
    assert question.buttons == [("Yes, withdraw access", f"rvk:{principal.member.id}")]
    assert (await bot.services.roster.principal(person.id)).is_active_member
    await bot.press(ADMIN, f"rvk:{principal.member.id}")
    assert bot.last_text(ADMIN) == "Access withdrawn: Petra Novak."
    reader = t(bot, "sl")
    revoked = reader.gettext(
        "Your access to Convene has been withdrawn. If you think this is a mistake, please "
        "contact the secretariat."
    )
    assert bot.last_text(person) == revoked
    await bot.say(ADMIN, f"/revoke {principal.member.id}")
    assert bot.last_text(ADMIN) == "Petra Novak has no access already."
    await bot.say(person, "/start")
    assert bot.last_text(person) == revoked
    await bot.say(person, "/profile")
    assert bot.last_text(person) == reader.gettext(
        "This command is for registered members. Please open the personal invitation link the "
        "secretariat sent you."
    )
    async with bot.services.db.transaction() as tx:
        status = (
            await tx.connection.execute(
                sa.select(members.c.status).where(members.c.id == principal.member.id)
            )
        ).scalar_one()
    assert status == "revoked"
