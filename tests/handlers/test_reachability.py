"""Members who block or unblock the bot (handlers/reachability.py)."""

from __future__ import annotations

from tests.auxil.harness import Harness, Person
from tests.auxil.people import MEMBER, registered


def chat_member_update(person: Person, old: str, new: str) -> dict[str, object]:
    import time

    bot_user = {"id": 7000000001, "is_bot": True, "first_name": "Convene"}
    until = int(time.time()) + 10**6  # "kicked" members carry an until_date
    return {
        "update_id": 10_000_000 + person.id + (1 if new == "kicked" else 2),
        "my_chat_member": {
            "chat": person.as_chat(),
            "from": person.as_user(),
            "date": int(time.time()),
            "old_chat_member": {"status": old, "user": bot_user, "until_date": until},
            "new_chat_member": {
                "status": new,
                "user": bot_user,
                "until_date": until,
            },
        },
    }


async def test_blocking_and_unblocking_the_bot_moves_the_member_status(bot: Harness) -> None:
    from bot.domain.models import MemberStatus

    await registered(bot)
    await bot.feed(chat_member_update(MEMBER, "member", "kicked"))
    principal = await bot.services.roster.principal(MEMBER.id)
    assert principal.member is not None and principal.member.status is MemberStatus.UNREACHABLE
    await bot.feed(chat_member_update(MEMBER, "kicked", "member"))
    principal = await bot.services.roster.principal(MEMBER.id)
    assert principal.member is not None and principal.member.status is MemberStatus.ACTIVE
