"""`/language` and `/timezone` (handlers/preferences.py): how a person reads Convene."""

from __future__ import annotations

from tests.auxil.harness import Harness, Person
from tests.auxil.people import MEMBER, registered
from tests.auxil.reading import t


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
