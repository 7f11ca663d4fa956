"""`/language`, `/timezone`, `/profile` and `/help`."""

from __future__ import annotations

from tests.auxil.harness import Harness, Person
from tests.handlers.test_onboarding import new_invite, register, setup_team, t

MEMBER = Person(500, "Elena", "Popescu", "ro")


async def registered(bot: Harness) -> None:
    await setup_team(bot)
    await register(bot, MEMBER, await new_invite(bot), "ro", country="RO")


async def test_language_change_answers_in_the_new_language_and_updates_the_menu(
    bot: Harness,
) -> None:
    await registered(bot)
    await bot.say(MEMBER, "/language")
    labels = [label for label, _ in bot.last_buttons(MEMBER)]
    assert "• Română" in labels and "Ελληνικά" in labels and "Crnogorski" in labels
    await bot.press(MEMBER, "lang:cnr")
    edit = bot.api.of("editMessageText")[-1]
    assert edit.text == t(bot, "cnr").gettext(
        "Your language is now {language}.", language="Crnogorski"
    )
    menu = [
        c
        for c in bot.api.of("setMyCommands")
        if c.params.get("scope", {}).get("chat_id") == MEMBER.id
    ][-1]
    assert menu.params["commands"][0]["description"] == t(bot, "cnr").pgettext(
        "command", "Start or continue your registration"
    )
    await bot.say(MEMBER, "/help")
    assert t(bot, "cnr").pgettext("command", "View and edit your profile") in bot.last_text(MEMBER)


async def test_timezone_change_by_name_or_city_and_bad_input(bot: Harness) -> None:
    await registered(bot)
    await bot.say(MEMBER, "/timezone")
    assert "Europe/Bucharest" in bot.last_text(MEMBER)
    await bot.say(MEMBER, "Narnia")
    assert bot.last_text(MEMBER) == t(bot, "ro").gettext(
        "I could not find that time zone. Please send a name such as Europe/Skopje or a city such as Skopje."
    )
    await bot.say(MEMBER, "kyiv")
    assert "Europe/Kyiv" in bot.last_text(MEMBER)
    principal = await bot.services.roster.principal(MEMBER.id)
    assert principal.member is not None and principal.member.timezone == "Europe/Kyiv"
    # Once answered, text is no longer taken as a time zone.
    await bot.say(MEMBER, "Europe/Rome")
    assert bot.last_text(MEMBER) == t(bot, "ro").gettext(
        "I did not understand that. Use /help to see what I can do."
    )


async def test_timezone_is_for_registered_people_only(bot: Harness) -> None:
    stranger = Person(501, "S", None, "it")
    await bot.say(stranger, "/timezone")
    assert bot.last_text(stranger) == t(bot, "it").gettext(
        "This command is for registered members. Please open the personal invitation link the "
        "secretariat sent you."
    )


async def test_profile_shows_and_edits_fields(bot: Harness) -> None:
    await registered(bot)
    await bot.say(MEMBER, "/profile")
    profile = bot.last_text(MEMBER)
    assert (
        "Elena Popescu" in profile
        and "Ministry of Justice" in profile
        and "Europe/Bucharest" in profile
    )
    assert ("prof:institution") in [data for _, data in bot.last_buttons(MEMBER)]
    await bot.press(MEMBER, "prof:institution")
    await bot.say(MEMBER, "x")
    assert bot.last_text(MEMBER) == t(bot, "ro").gettext("That is too short. Please try again.")
    await bot.say(MEMBER, "Prosecutor's Office attached to the High Court")
    assert "Prosecutor's Office attached to the High Court" in bot.last_text(MEMBER)
    await bot.press(MEMBER, "prof:email")
    await bot.say(MEMBER, "elena@example.ro")
    await bot.press(MEMBER, "prof:email")
    await bot.say(MEMBER, "-")
    principal = await bot.services.roster.principal(MEMBER.id)
    assert principal.member is not None
    assert principal.member.institution == "Prosecutor's Office attached to the High Court"
    assert principal.member.email is None


async def test_unknown_command_and_help_for_a_visitor(bot: Harness) -> None:
    visitor = Person(502, "V", None, "tr")
    await bot.say(visitor, "/frobnicate")
    assert bot.last_text(visitor) == t(bot, "tr").gettext(
        "I do not know that command. Use /help to see what I can do."
    )
    await bot.say(visitor, "/help")
    text = bot.last_text(visitor)
    assert (
        "/start" in text
        and "/language" in text
        and "/invite" not in text
        and "/profile" not in text
    )


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


async def test_a_forged_timezone_button_from_a_stranger_changes_nothing(bot: Harness) -> None:
    stranger = Person(503, "S", None, "el")
    calls = await bot.press(stranger, "tz:Europe/Athens")
    assert calls[0].params["show_alert"] is True
    assert await bot.services.roster.account(stranger.id) is None


async def test_timezone_by_the_capital_as_people_write_it(bot: Harness) -> None:
    await registered(bot)
    typed = {
        "Tirana": "Europe/Tirane",
        "Tiranë": "Europe/Tirane",
        "Beograd": "Europe/Belgrade",
        "Београд": "Europe/Belgrade",
        "Скопје": "Europe/Skopje",
        "Priština": "Europe/Belgrade",
        "Roma": "Europe/Rome",
        "İstanbul": "Europe/Istanbul",
        "Bakı": "Asia/Baku",
        "  TBILISI ": "Asia/Tbilisi",
        "Chisinau": "Europe/Chisinau",
        "Київ": "Europe/Kyiv",
        "Երևան": "Asia/Yerevan",
    }
    for text, expected in typed.items():
        await bot.say(MEMBER, "/timezone")
        await bot.say(MEMBER, text)
        assert expected in bot.last_text(MEMBER), text
        principal = await bot.services.roster.principal(MEMBER.id)
        assert principal.member is not None and principal.member.timezone == expected, text


async def test_timezone_given_with_the_command(bot: Harness) -> None:
    await registered(bot)
    unknown = t(bot, "ro").gettext(
        "I could not find that time zone. Please send a name such as Europe/Skopje or a city such as Skopje."
    )
    await bot.say(MEMBER, "/timezone Mars/Olympus")
    assert bot.last_text(MEMBER) == unknown
    principal = await bot.services.roster.principal(MEMBER.id)
    assert principal.member is not None and principal.member.timezone == "Europe/Bucharest"
    # The refusal asks again: the next message is the zone.
    await bot.say(MEMBER, "Skopje")
    assert "Europe/Skopje" in bot.last_text(MEMBER)
    await bot.say(MEMBER, "/timezone Beograd")
    assert "Europe/Belgrade" in bot.last_text(MEMBER)
    principal = await bot.services.roster.principal(MEMBER.id)
    assert principal.member is not None and principal.member.timezone == "Europe/Belgrade"
    await bot.say(MEMBER, "Europe/Rome")  # answered: no longer taken as a zone
    assert bot.last_text(MEMBER) == t(bot, "ro").gettext(
        "I did not understand that. Use /help to see what I can do."
    )
