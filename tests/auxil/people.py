"""People the tests need: a team, invitation links, members registered through the real
dialog or written straight into the database, focal points, and the usual delegation."""

from __future__ import annotations

from bot.domain.models import Approval, Role
from tests.auxil.data import insert_member
from tests.auxil.harness import Harness, Person
from tests.conftest import ADMIN_ID

TEAM = "Regional expert team – criminal matters"

ADMIN = Person(ADMIN_ID, "Dragana", "Stojanović", "en")
ANA = Person(501, "Ana", "Petrović", "sr")  # Serbian Cyrillic, Belgrade
GIORGI = Person(502, "Giorgi", "Beridze", "ka")  # Georgian, Tbilisi (UTC+4)
MARKO = Person(503, "Marko", "Marković", "mk")  # Macedonian, Skopje
LIDIJA = Person(504, "Lidija", "Jović", "sr")  # Serbian, Belgrade: a colleague of Ana
ELENA = Person(601, "Elena", "Stojanovska", "mk")  # focal point for North Macedonia
MEMBER = Person(500, "Elena", "Popescu", "ro")  # a Romanian member, registered by `registered`


async def setup_team(bot: Harness) -> None:
    await bot.services.roster.create_team(TEAM, "criminal")


async def new_invite(bot: Harness, **options: object) -> str:
    options.setdefault("approval", Approval.AUTO)
    created = await bot.services.invites.create(team_slugs=["criminal"], **options)  # type: ignore[arg-type]
    return created.token


async def register(
    bot: Harness,
    person: Person,
    token: str,
    locale: str,
    *,
    country: str | None = "RS",
    institution: str = "Ministry of Justice",
    position: str = "Assistant Minister",
    email: str | None = None,
    submit: bool = True,
) -> None:
    """Go through the registration dialog as `person` would, with the link `token`."""
    await bot.say(person, f"/start {token}")
    await bot.press(person, f"reg:lang:{locale}")
    await bot.press(person, "reg:consent:yes")
    await bot.press(person, "reg:name:keep")
    if country:
        await bot.press(person, f"reg:country:{country}")
    await bot.say(person, institution)
    await bot.say(person, position)
    if email:
        await bot.say(person, email)
    else:
        await bot.press(person, "reg:email:skip")
    await bot.press(person, "reg:tz:keep")
    if submit:
        await bot.press(person, "reg:submit")


async def registered(bot: Harness) -> None:
    """The team, and MEMBER registered through the dialog."""
    await setup_team(bot)
    await register(bot, MEMBER, await new_invite(bot), "ro", country="RO")


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
    """The team, the admin, and four members of three countries; their member ids by name."""
    await bot.services.roster.create_team("Regional expert team – criminal matters", "criminal")
    await bot.say(ADMIN, "/start")
    return {
        "ana": await add_member(bot, ANA, "RS", "sr_Cyrl", "Europe/Belgrade"),
        "giorgi": await add_member(bot, GIORGI, "GE", "ka", "Asia/Tbilisi"),
        "marko": await add_member(bot, MARKO, "MK", "mk", "Europe/Skopje"),
        "lidija": await add_member(bot, LIDIJA, "RS", "sr_Latn", "Europe/Belgrade"),
    }


async def focal_point(bot: Harness, person: Person, country: str, locale: str) -> None:
    now = bot.clock.now()
    async with bot.services.db.transaction() as tx:
        await tx.accounts.ensure(person.id, person.id, now)
        await tx.accounts.set_preferences(person.id, now, locale=locale, timezone="Europe/Skopje")
    await bot.services.roster.grant(person.id, Role.FOCAL_POINT, country)


async def member_id(bot: Harness, person: Person) -> int:
    """The member id of a registered person."""
    principal = await bot.services.roster.principal(person.id)
    assert principal.member is not None
    return principal.member.id
