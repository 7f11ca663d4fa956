"""Data protection (handlers/privacy.py), through the real Application, on SQLite and
PostgreSQL: `/mydata`, `/forget` with the log still consistent, the retention purge with an
injected clock, the privacy notice."""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa

from bot.domain.models import Answer, Audience
from bot.domain.request_models import ResponseStatus
from bot.domain.requests import RequestSpec
from storage.schema import audit_people, members
from tests.auxil.harness import Harness, Person
from tests.auxil.meetings import invitation
from tests.auxil.meetings import spec as meeting_spec
from tests.auxil.people import ADMIN, member_id, new_invite, register, setup_team
from tests.auxil.reading import actions, count, t
from tests.conftest import ADMIN_ID

ANA = Person(701, "Ana", "Petrović", "sr")


BOJAN = Person(702, "Bojan", "Ilić", "sr")


async def test_mydata_and_forget_keep_the_log_consistent(bot: Harness) -> None:
    services = bot.services
    await setup_team(bot)
    await bot.say(ADMIN, "/start")
    await register(bot, ANA, await new_invite(bot), "sr_Latn")
    await register(bot, BOJAN, await new_invite(bot), "sr_Latn")
    announced = await services.meetings.announce(
        meeting_spec(audience=Audience(teams=("criminal",))), created_by=ADMIN_ID
    )
    await bot.deliver()
    ana_invitation = await invitation(bot, announced.meeting.id, ANA)
    await services.rsvp.answer(ana_invitation, ANA.id, Answer.IN_PERSON)
    request_id, _, _ = await services.requests.create(
        RequestSpec(
            title="Nominate a contact point",
            body="",
            deadline=services.clock.now() + timedelta(days=5),
            timezone="Europe/Belgrade",
            audience=Audience(countries=("RS",)),
        ),
        created_by=ADMIN_ID,
    )
    await services.requests.answer_text(request_id, ANA.id, "Ana Petrović, prosecutor")

    await bot.say(ANA, "/mydata")
    sent = bot.api.last(ANA.id, "sendDocument")
    data = json.loads(sent.params["document"].content)
    assert sent.params["caption"] == t(bot, "sr_Latn").gettext(
        "Everything Convene holds about you, as of today. Send /forget to have it deleted."
    )
    assert data["member"][0]["full_name"] == "Ana Petrović"
    assert data["meeting_invitations"][0]["answer"] == "in_person"
    assert data["answers_to_requests"][0]["text"] == "Ana Petrović, prosecutor"
    assert {e["action"] for e in data["record"]} >= {"member.register", "rsvp.answer"}
    assert "Bojan" not in json.dumps(data, ensure_ascii=False)  # nobody else's data

    before = await actions(bot)
    async with services.db.transaction() as tx:
        ref = await tx.audit.find_ref(ANA.id)
    await bot.say(ANA, "/forget")
    # "Yes" belongs to this very /forget: its button carries the moment it was asked.
    stamp = int(bot.clock.now().timestamp())
    assert bot.api.last(ANA.id).buttons == [
        (t(bot, "sr_Latn").gettext("Yes, delete my data"), f"forget:yes:{stamp}"),
        (t(bot, "sr_Latn").gettext("No, keep it"), "forget:no"),
    ]
    await bot.press(ANA, "forget:no")
    assert await services.roster.account(ANA.id) is not None
    await bot.press(ANA, f"forget:yes:{stamp}")  # the "yes" of the /forget she declined
    assert await services.roster.account(ANA.id) is not None
    await bot.say(ANA, "/forget")
    await bot.press(ANA, bot.last_buttons(ANA)[0][1])
    assert bot.last_text(ANA) == t(bot, "sr_Latn").gettext(
        "Your data has been deleted. If you are invited again, you can register with a "
        "new invitation link."
    )
    principal = await services.roster.principal(ANA.id)
    assert principal.member is None and await services.roster.account(ANA.id) is None
    # The log is whole: every earlier entry is still there, now naming only the reference.
    after = await actions(bot)
    assert after[: len(before)] == before and after[len(before)] == "member.forget"
    async with services.db.transaction() as tx:
        assert await tx.audit.people([ref]) == {ref: None}  # type: ignore[list-item]
        entries = await tx.audit.entries(person_ref=ref)
    assert {"member.register", "rsvp.answer", "request.answer", "member.forget"} <= {
        e.action for e in entries
    }
    await bot.say(ADMIN, "/audit")
    audit_csv = bot.api.of("sendDocument")[-2].params["document"].content.decode("utf-8-sig")
    assert "Ana Petrović" not in audit_csv and ref in audit_csv
    # Her answer for Serbia stays with Serbia, without her name.
    report = await services.requests.report(request_id)
    assert report is not None
    response = report.responses[0]
    assert response.status is ResponseStatus.SUBMITTED and response.answered_by is None
    # A second /forget finds nothing. Her chosen language went with her data, so the answer
    # is in the language her Telegram app reports ("sr": Cyrillic).
    await bot.say(ANA, "/forget")
    await bot.press(ANA, "forget:yes")
    assert bot.last_text(ANA) == t(bot, "sr_Cyrl").gettext("Convene holds no data about you.")


async def test_retention_purges_revoked_members_and_old_answers(bot: Harness) -> None:
    services = bot.services
    services_clock = bot.clock
    await setup_team(bot)
    await bot.say(ADMIN, "/start")
    await register(bot, ANA, await new_invite(bot), "sr_Latn")
    await register(bot, BOJAN, await new_invite(bot), "sr_Latn")
    announced = await services.meetings.announce(
        meeting_spec(audience=Audience(teams=("criminal",))), created_by=ADMIN_ID
    )
    await bot.deliver()
    await services.rsvp.answer(
        await invitation(bot, announced.meeting.id, ANA), ANA.id, Answer.ONLINE
    )
    request_id, _, _ = await services.requests.create(
        RequestSpec(
            title="Statistics",
            body="",
            deadline=services_clock.now() + timedelta(days=5),
            timezone="Europe/Belgrade",
            audience=Audience(countries=("RS",)),
        ),
        created_by=ADMIN_ID,
    )
    await services.requests.answer_text(request_id, ANA.id, "12 cases")
    await bot.say(ADMIN, f"/revoke {await member_id(bot, BOJAN)}")
    await bot.press(ADMIN, f"rvk:{await member_id(bot, BOJAN)}")  # confirmed

    # Within the periods nothing goes.
    services_clock.advance(timedelta(days=300))
    report = await services.privacy.purge()
    assert (report.members, report.invitations, report.answers) == (0, 0, 0)
    assert await count(bot, members) == 2
    # A year after the revocation, the revoked member is forgotten.
    services_clock.advance(timedelta(days=70))
    report = await services.privacy.purge()
    assert report.members == 1 and await count(bot, members) == 1
    assert (await services.roster.principal(BOJAN.id)).member is None
    # Three years on, the answers go: the invitation, and the request answer's content.
    services_clock.advance(timedelta(days=3 * 365))
    report = await services.privacy.purge()
    assert (report.invitations, report.answers) == (1, 1)
    request = await services.requests.report(request_id)
    assert request is not None
    response = request.responses[0]
    assert response.text is None and response.answered_by is None
    assert response.status is ResponseStatus.SUBMITTED  # that Serbia answered stays
    assert (await actions(bot)).count("retention.purge") == 2
    async with services.db.engine.connect() as connection:
        forgotten = (
            await connection.execute(
                sa.select(sa.func.count())
                .select_from(audit_people)
                .where(audit_people.c.telegram_user_id.is_(None))
            )
        ).scalar_one()
    assert forgotten == 1


async def test_the_privacy_notice_states_the_retention_periods(bot: Harness) -> None:
    await setup_team(bot)
    token = await new_invite(bot)
    await bot.say(ANA, f"/start {token}")
    await bot.press(ANA, "reg:lang:sr_Latn")
    reader = t(bot, "sr_Latn")
    notice = bot.last_text(ANA)
    assert reader.duration(timedelta(days=365)) in notice
    assert reader.duration(timedelta(days=3 * 365)) in notice
    assert "/mydata" in notice and "/forget" in notice
