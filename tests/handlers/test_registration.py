"""Registration through a deep link, driven through the real Application."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.models import Approval, MemberStatus
from storage.schema import accounts, invites, members, registrations
from tests.auxil.harness import Harness, Person, message_update
from tests.auxil.people import TEAM, new_invite, register, setup_team
from tests.auxil.reading import count, t
from tests.conftest import ADMIN_ID

ADMIN = Person(ADMIN_ID, "Dragana", "Stojanović", "sr")


@pytest.mark.parametrize(
    ("locale", "language_code", "person"),
    [
        ("en", "en", Person(101, "Anna", "Smith", "en")),
        ("sr_Cyrl", "sr", Person(102, "Милош", "Јовановић", "sr")),
        ("it", "it", Person(103, "Michele", "Del Prete", "it")),
        ("mk", "mk", Person(104, "Марија", "Петровска", "mk")),
    ],
)
async def test_registration_through_deep_link_in_the_members_language(
    bot: Harness, locale: str, language_code: str, person: Person
) -> None:
    await setup_team(bot)
    token = await new_invite(bot)
    await bot.say(person, f"/start {token}")
    # Before a choice, Telegram's language_code picks the greeting language and the pre-selection.
    greeting = bot.api.last(person.id)
    assert TEAM in greeting.text
    assert ("• " + bot.services.i18n.translator(locale).language.native_name) in [
        label for label, _ in greeting.buttons
    ]

    await register(bot, person, token, locale, submit=False)
    summary = bot.api.last(person.id)
    reader = t(bot, locale)
    assert reader.gettext("Confirm") in [label for label, _ in summary.buttons]
    assert reader.country("RS") in summary.text
    assert "Europe/Belgrade" in summary.text

    await bot.press(person, "reg:submit")
    welcome = bot.last_text(person)
    assert welcome.startswith(
        reader.gettext(
            "Thank you, {name}. Your registration is complete: you are now a member of {teams}. Use /help to see what you can do.",
            name=person.first_name + " " + str(person.last_name),
            teams=TEAM,
        )[:20]
    )
    if locale != "en":
        english = t(bot, "en").gettext("I agree")
        assert reader.gettext("I agree") != english, f"{locale} catalog is not translated"

    member = await bot.services.roster.principal(person.id)
    assert member.member is not None
    assert member.member.status is MemberStatus.ACTIVE
    assert member.member.locale == locale
    assert member.member.timezone == "Europe/Belgrade"
    assert member.member.full_name == f"{person.first_name} {person.last_name}"
    assert member.member.institution == "Ministry of Justice"
    teams = await bot.services.roster.teams_of(member.member.id)
    assert [(team.slug, role) for team, role in teams] == [("criminal", "member")]
    assert await count(bot, registrations) == 0
    # The member's own menu, in their language, with member commands.
    menu = [
        c
        for c in bot.api.of("setMyCommands")
        if c.params.get("scope", {}).get("chat_id") == person.id
    ]
    assert menu, "no chat menu was set"
    commands = [c["command"] for c in menu[-1].params["commands"]]
    assert commands == [
        "start",
        "help",
        "meetings",
        "requests",
        "profile",
        "language",
        "timezone",
        "mydata",
        "forget",
    ]
    assert menu[-1].params["commands"][1]["description"] == reader.pgettext(
        "command", "What this bot can do"
    )


async def test_cyrillic_messages_are_cyrillic(bot: Harness) -> None:
    await setup_team(bot)
    person = Person(110, "Ана", None, "ru")
    token = await new_invite(bot)
    await bot.say(person, f"/start {token}")
    await bot.press(person, "reg:lang:ru")
    consent = bot.last_text(person)
    assert any("а" <= ch <= "я" for ch in consent.lower())
    assert "Notice version" not in consent


async def test_typed_answers_are_validated_and_change_nothing_when_bad(bot: Harness) -> None:
    await setup_team(bot)
    person = Person(120, "X", None, "en")  # a one-letter Telegram name cannot be kept
    token = await new_invite(bot)
    await bot.say(person, f"/start {token}")
    await bot.press(person, "reg:lang:en")
    await bot.press(person, "reg:consent:yes")
    assert bot.last_buttons(person) == []  # no "Keep" button for a too short name
    await bot.say(person, "J")
    assert bot.last_text(person) == t(bot, "en").gettext("That is too short. Please try again.")
    await bot.say(person, "Jovana   Ilić")
    await bot.press(person, "reg:country:other")
    await bot.say(person, "XX")
    assert "two-letter ISO code" in bot.last_text(person)
    await bot.say(person, "me")
    await bot.say(person, "Supreme State Prosecutor's Office")
    await bot.say(person, "Special prosecutor")
    await bot.say(person, "not-an-email")
    assert "e-mail address" in bot.last_text(person)
    await bot.say(person, "jovana@example.org")
    await bot.press(person, "reg:tz:other")
    await bot.say(person, "Atlantis")
    assert "could not find that time zone" in bot.last_text(person)
    await bot.say(person, "skopje")
    summary = bot.last_text(person)
    assert "Jovana Ilić" in summary
    assert "Montenegro" in summary
    assert "Europe/Skopje" in summary
    assert "jovana@example.org" in summary
    # Edit one field from the summary; the flow returns to the summary.
    await bot.press(person, "reg:edit:institution")
    await bot.say(person, "Special State Prosecutor's Office")
    assert "Special State Prosecutor&#x27;s Office" in bot.last_text(
        person
    ) or "Special State Prosecutor's Office" in bot.last_text(person)
    assert t(bot, "en").gettext("Confirm") in [label for label, _ in bot.last_buttons(person)]
    await bot.press(person, "reg:submit")
    principal = await bot.services.roster.principal(person.id)
    assert principal.member is not None
    assert principal.member.country == "ME"
    assert principal.member.email == "jovana@example.org"
    assert principal.member.timezone == "Europe/Skopje"


async def test_user_content_is_escaped_in_html_messages(bot: Harness) -> None:
    await setup_team(bot)
    person = Person(121, "Eve", None, "en")
    token = await new_invite(bot)
    await register(bot, person, token, "en", institution="<b>Ministry</b> & Co", submit=False)
    assert "&lt;b&gt;Ministry&lt;/b&gt; &amp; Co" in bot.last_text(person)


@pytest.mark.parametrize("case", ["unknown", "malformed", "expired", "used_up", "revoked"])
async def test_bad_tokens_get_a_clear_answer_and_create_nothing(bot: Harness, case: str) -> None:
    await setup_team(bot)
    person = Person(130, "Petar", "Petrović", "en")
    en = t(bot, "en")
    token = await new_invite(bot, expires_in=timedelta(days=1))
    if case == "unknown":
        token = "A" * 22
        expected = "This invitation link is not valid."
    elif case == "malformed":
        token = "../../etc/passwd"
        expected = "This invitation link is not valid."
    elif case == "expired":
        bot.clock.advance(timedelta(days=1, seconds=1))
        expected = en.gettext(
            "This invitation link has expired. Please ask the secretariat for a new one."
        )
    elif case == "used_up":
        await register(bot, Person(131, "Ivana", "Ivanović", "en"), token, "en")
        expected = "This invitation link has already been used."
    else:
        from bot.domain.invites import revoke_invite

        assert await revoke_invite(bot.services.db, bot.clock, 1)
        expected = "This invitation link has been withdrawn."
    before_members = await count(bot, members)
    before_accounts = await count(bot, accounts)
    await bot.say(person, f"/start {token}")
    assert bot.last_text(person).startswith(expected)
    assert await count(bot, registrations) == 0
    assert await count(bot, members) == before_members
    assert await count(bot, accounts) == before_accounts


async def test_link_that_expires_during_registration_is_refused_at_submit(bot: Harness) -> None:
    await setup_team(bot)
    person = Person(132, "Luka", "Lukić", "en")
    token = await new_invite(bot, expires_in=timedelta(hours=1))
    await register(bot, person, token, "en", submit=False)
    bot.clock.advance(timedelta(hours=2))
    await bot.press(person, "reg:submit")
    assert bot.last_text(person).startswith("This invitation link has expired.")
    assert await count(bot, members) == 0


async def test_restart_in_the_middle_of_registration(bot: Harness) -> None:
    await setup_team(bot)
    person = Person(140, "Маја", "Николић", "sr")
    token = await new_invite(bot)
    await bot.say(person, f"/start {token}")
    await bot.press(person, "reg:lang:sr_Cyrl")
    await bot.press(person, "reg:consent:yes")
    await bot.press(person, "reg:name:keep")
    await bot.press(person, "reg:country:RS")
    await bot.say(person, "Министарство правде")
    await bot.stop()

    restarted = await Harness(bot.settings, bot.clock, bot.api).start()
    try:
        # The next typed message is still the answer to "position".
        await restarted.say(person, "Помоћник министра")
        await restarted.press(person, "reg:email:skip")
        await restarted.press(person, "reg:tz:keep")
        await restarted.press(person, "reg:submit")
        principal = await restarted.services.roster.principal(person.id)
        assert principal.member is not None
        assert principal.member.institution == "Министарство правде"
        assert principal.member.position == "Помоћник министра"
        assert principal.member.locale == "sr_Cyrl"
    finally:
        await restarted.stop()


async def test_start_without_token_resumes_a_registration(bot: Harness) -> None:
    await setup_team(bot)
    person = Person(141, "Ana", "Kovač", "hr")
    token = await new_invite(bot)
    await bot.say(person, f"/start {token}")
    await bot.press(person, "reg:lang:hr")
    await bot.say(person, "/start")
    texts = bot.replies(person)[-2:]
    assert "Privacy" not in texts[1]  # Croatian, not English
    assert [label for label, _ in bot.last_buttons(person)] == [
        t(bot, "hr").gettext("I agree"),
        t(bot, "hr").gettext("I do not agree"),
    ]


async def test_guessing_invitation_tokens_is_slowed_down(bot: Harness) -> None:
    await setup_team(bot)
    person = Person(140, "Mallory", None, "en")
    for i in range(5):
        await bot.say(person, f"/start {'B' * 21}{i}")
        assert bot.last_text(person).startswith("This invitation link is not valid.")
    await bot.say(person, "/start " + "C" * 22)
    assert bot.last_text(person).startswith("Too many invitation links")
    # Even a right link waits now; a little later it works.
    token = await new_invite(bot)
    await bot.say(person, f"/start {token}")
    assert "Too many" in bot.last_text(person)
    bot.clock.advance(timedelta(minutes=2))
    await bot.say(person, f"/start {token}")
    assert "Too many" not in bot.last_text(person)
    assert await count(bot, registrations) == 1


async def test_the_same_update_delivered_twice_counts_once(bot: Harness) -> None:
    await setup_team(bot)
    person = Person(150, "Nina", "Horvat", "en")
    token = await new_invite(bot, uses=1)
    raw = message_update(person, f"/start {token}")
    first = await bot.feed(raw)
    second = await bot.feed(raw)
    assert [c.method for c in first] == ["sendMessage"]
    assert second == []
    await register(bot, person, token, "en")
    submit_again = await bot.feed(raw)
    assert submit_again == []
    assert await count(bot, members) == 1


async def test_declining_consent_keeps_nothing(bot: Harness) -> None:
    await setup_team(bot)
    person = Person(160, "Goran", "Goranović", "en")
    token = await new_invite(bot)
    await bot.say(person, f"/start {token}")
    await bot.press(person, "reg:lang:en")
    await bot.press(person, "reg:consent:no")
    assert bot.last_text(person).startswith("Understood. Nothing about you has been kept.")
    assert await count(bot, registrations) == 0
    assert await count(bot, members) == 0


@pytest.mark.parametrize(
    "data",
    [
        "reg:lang:xx",
        "reg:country:RS",  # a real button, but of a later step
        "reg:submit",
        "reg:edit:consent",
        "reg:nonsense",
        "appr:abc:a",
        "appr:1:x",
        "zzz",
        "lang:../../",
        "prof:password",
    ],
)
async def test_forged_and_stale_buttons_change_nothing(bot: Harness, data: str) -> None:
    await setup_team(bot)
    person = Person(170, "Mia", "Marić", "en")
    token = await new_invite(bot)
    await bot.say(person, f"/start {token}")
    await bot.press(person, "reg:lang:en")
    async with bot.services.db.transaction() as tx:
        before = await tx.registrations.get(person.id)
    calls = await bot.press(person, data)
    assert [c.method for c in calls] == ["answerCallbackQuery"]
    assert calls[0].params.get("show_alert") is True
    async with bot.services.db.transaction() as tx:
        assert await tx.registrations.get(person.id) == before


async def test_a_pressed_step_button_cannot_be_pressed_again(bot: Harness) -> None:
    await setup_team(bot)
    person = Person(171, "Vesna", "Vesić", "en")
    token = await new_invite(bot)
    await bot.say(person, f"/start {token}")
    calls = await bot.press(person, "reg:lang:en")
    assert "editMessageReplyMarkup" in [c.method for c in calls]
    again = await bot.press(person, "reg:lang:de")
    assert (
        again[0].params["text"] == t(bot, "en").gettext("This button is no longer valid.")
        or again[0].params["show_alert"]
    )


async def test_an_active_member_following_a_new_link_joins_its_teams(bot: Harness) -> None:
    await setup_team(bot)
    await bot.services.roster.create_team("Executive board", "board")
    person = Person(180, "Ilir", "Hoxha", "sq")
    await register(bot, person, await new_invite(bot), "sq", country="AL")
    board = await bot.services.invites.create(team_slugs=["board"], approval=Approval.MANUAL)
    await bot.say(person, f"/start {board.token}")
    assert "Executive board" in bot.last_text(person)
    principal = await bot.services.roster.principal(person.id)
    assert principal.member is not None
    slugs = [team.slug for team, _ in await bot.services.roster.teams_of(principal.member.id)]
    assert slugs == ["board", "criminal"]
    await bot.say(person, f"/start {board.token}")  # used up now, and nothing new anyway
    assert await count(bot, invites) == 2


async def test_unregistered_person_without_link_is_told_how_to_join(bot: Harness) -> None:
    person = Person(190, "Zoran", None, "hr")
    await bot.say(person, "/start")
    assert bot.last_text(person) == t(bot, "hr").gettext(
        "Welcome to Convene. Registration is by invitation only: please open the personal "
        "invitation link the secretariat sent you."
    )
    await bot.say(person, "/profile")
    assert "invitation link" in bot.last_text(person) or bot.last_text(person) != ""
    await bot.say(person, "hello")
    assert bot.last_text(person) == t(bot, "hr").gettext(
        "I did not understand that. Use /help to see what I can do."
    )


async def test_a_focal_point_is_greeted_as_one_and_approves_in_their_language(
    bot: Harness,
) -> None:
    """A Serbian focal point's /start names their role and commands, in Serbian, and the
    language is kept: the approval card of a later applicant is in Serbian too."""
    from bot.domain.models import Role

    focal = Person(191, "Јелена", "Јовић", "sr")
    await setup_team(bot)
    await bot.services.roster.grant(focal.id, Role.FOCAL_POINT, "RS")
    await bot.services.roster.grant(focal.id, Role.FOCAL_POINT, "BA")
    await bot.say(focal, "/start")
    sr = t(bot, "sr_Cyrl")
    greeting = bot.last_text(focal)
    assert greeting.startswith(
        sr.ngettext(
            "Welcome to Convene. You are the national focal point of {countries}.",
            "Welcome to Convene. You are the national focal point of these countries: {countries}.",
            2,
            countries="Босна и Херцеговина, Србија",
        )
    )
    assert sr.gettext("The commands you can use:") in greeting
    assert "/pending — " + sr.pgettext("command", "Registrations waiting for approval") in greeting
    assert "/members" in greeting and "/audit" not in greeting
    assert "invitation" not in greeting
    account = await bot.services.roster.account(focal.id)
    assert account is not None and account.locale == "sr_Cyrl"

    applicant = Person(192, "Nikola", "Nikolić", "hr")
    token = await new_invite(bot, approval=Approval.MANUAL)
    await register(bot, applicant, token, "hr")
    card = bot.api.last(focal.id)
    assert card.buttons[0][0] == sr.gettext("Approve") != "Approve"
    assert "Nikola Nikolić" in card.text


async def test_an_admin_is_greeted_as_one_and_a_chosen_language_is_kept(bot: Harness) -> None:
    admin = Person(ADMIN_ID, "Dragana", "Stojanović", "sr")
    await bot.say(admin, "/start")
    sr = t(bot, "sr_Cyrl")
    greeting = bot.last_text(admin)
    assert greeting.startswith(
        sr.gettext("Welcome to Convene. You are a secretariat administrator.")
    )
    assert "/audit — " + sr.pgettext("command", "The audit log, as CSV and XLSX") in greeting
    account = await bot.services.roster.account(ADMIN_ID)
    assert account is not None and account.locale == "sr_Cyrl"
    # A language chosen with /language wins over the one Telegram reports later.
    await bot.press(admin, "lang:hr")
    await bot.say(Person(ADMIN_ID, "Dragana", "Stojanović", "en"), "/start")
    account = await bot.services.roster.account(ADMIN_ID)
    assert account is not None and account.locale == "hr"
    assert bot.last_text(admin).startswith(
        t(bot, "hr").gettext("Welcome to Convene. You are a secretariat administrator.")
    )


async def test_a_kosovo_prosecutor_registers_under_their_delegation(bot: Harness) -> None:
    await setup_team(bot)
    person = Person(195, "Arbër", "Krasniqi", "sq")
    token = await new_invite(bot)
    await bot.say(person, f"/start {token}")
    await bot.press(person, "reg:lang:sq")
    await bot.press(person, "reg:consent:yes")
    await bot.press(person, "reg:name:keep")
    await bot.press(person, "reg:country:other")
    asked = bot.last_text(person)
    await bot.say(person, "ZZ")  # "Unknown Region" is no country
    refusal = bot.last_text(person)
    assert refusal != asked and "ZZ" not in refusal
    await bot.say(person, "EU")
    assert bot.last_text(person) == refusal
    await bot.say(person, "xk")
    await bot.say(person, "Prokuroria Speciale e Republikës së Kosovës")
    await bot.say(person, "Prokuror")
    await bot.press(person, "reg:email:skip")
    await bot.press(person, "reg:tz:keep")
    summary = bot.last_text(person)
    assert t(bot, "sq").country("XK") in summary
    assert "Europe/Belgrade" in summary
    await bot.press(person, "reg:submit")
    principal = await bot.services.roster.principal(person.id)
    assert principal.member is not None
    assert principal.member.country == "XK"
    assert principal.member.timezone == "Europe/Belgrade"
