"""The official record (handlers/record.py), through the real Application, on SQLite and
PostgreSQL: every audit entry kind, the append-only log, `/audit` and `/proof`."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from bot.domain.audit import Action
from bot.domain.invites import revoke_invite
from bot.domain.models import Answer, Approval, Audience, Role
from bot.domain.notices import AnnouncementSpec
from bot.domain.plan_specs import plan_spec
from bot.domain.request_models import AnswerKind, ResponseStatus
from bot.domain.requests import RequestSpec
from storage.schema import audit_log
from tests.auxil.harness import Harness, Person
from tests.auxil.meetings import invitation
from tests.auxil.meetings import spec as meeting_spec
from tests.auxil.people import ADMIN, member_id, new_invite, register, setup_team
from tests.auxil.reading import actions
from tests.conftest import ADMIN_ID

ANA = Person(701, "Ana", "Petrović", "sr")


BOJAN = Person(702, "Bojan", "Ilić", "sr")


CVETA = Person(703, "Cveta", "Kostić", "sr")


DENIS = Person(704, "Denis", "Hodžić", "bs")


async def test_every_kind_of_change_and_message_is_recorded(bot: Harness) -> None:
    services = bot.services
    await setup_team(bot)
    await bot.say(ADMIN, "/start")
    # Members: one admitted at once, one approved, one rejected; a link revoked.
    await register(bot, ANA, await new_invite(bot), "sr_Latn")
    await register(bot, BOJAN, await new_invite(bot, approval=Approval.MANUAL), "sr_Latn")
    await bot.press(ADMIN, f"appr:{await member_id(bot, BOJAN)}:a")
    await register(bot, CVETA, await new_invite(bot, approval=Approval.MANUAL), "sr_Latn")
    cveta = await member_id(bot, CVETA)
    await bot.press(ADMIN, f"appr:{cveta}:r")
    created = await services.invites.create(team_slugs=["criminal"])
    await revoke_invite(services.db, services.clock, created.invite.id, ADMIN_ID)
    await services.roster.create_team("Executive board", "board")
    joined = await services.invites.create(team_slugs=["board"], approval=Approval.AUTO)
    await bot.say(ANA, f"/start {joined.token}")
    await services.roster.update_profile(await member_id(bot, ANA), "institution", "Ministry")
    await services.roster.set_reachable(ANA.id, False)
    await services.roster.set_reachable(ANA.id, True)
    await services.roster.grant(ANA.id, Role.FOCAL_POINT, "RS")
    await services.roster.withdraw(ANA.id, Role.FOCAL_POINT, "RS")

    # A meeting: created, answered, commented, a substitute named, a link asked for,
    # edited, cancelled.
    announced = await services.meetings.announce(
        meeting_spec(audience=Audience(members=(await member_id(bot, BOJAN),))),
        created_by=ADMIN_ID,
    )
    meeting_id = announced.meeting.id
    await bot.deliver()
    bojan_invitation = await invitation(bot, meeting_id, BOJAN)
    await services.rsvp.answer(bojan_invitation, BOJAN.id, Answer.IN_PERSON)
    await services.rsvp.comment(bojan_invitation, BOJAN.id, "Arriving the evening before")
    await services.rsvp.request_link(bojan_invitation, BOJAN.id)
    await services.rsvp.name_substitute(bojan_invitation, BOJAN.id, await member_id(bot, ANA))
    await services.meetings.edit(meeting_id, meeting_spec(title="Renamed"), edited_by=ADMIN_ID)
    await services.meetings.cancel(meeting_id, cancelled_by=ADMIN_ID)

    # An announcement asking for receipts: delivered, failed, unreachable, acknowledged.
    await register(bot, DENIS, await new_invite(bot), "bs", country="BA")
    bot.api.fail(DENIS.id, 403, "Forbidden: bot was blocked by the user")
    bot.api.fail(BOJAN.id, 400, "Bad Request: message is too long")
    notice_id, _ = await services.notices.announce(
        AnnouncementSpec("Minutes attached.", Audience(teams=("criminal",)), ack_required=True),
        created_by=ADMIN_ID,
        progress_chat_id=None,
    )
    await bot.deliver()
    async with services.db.transaction() as tx:
        ana_delivery = next(
            d for d in await tx.deliveries.of_notices([notice_id]) if d.telegram_user_id == ANA.id
        )
    await bot.press(ANA, f"ack:{ana_delivery.id}")
    # Sent again to the one it did not reach (Denis, who blocked the bot).
    assert await services.notices.resend(notice_id, actor=ADMIN_ID) == 1
    await bot.deliver()

    # A request: answered with a document, withdrawn, deadline moved, marked, cancelled.
    request_id, _, _ = await services.requests.create(
        RequestSpec(
            title="National legislation",
            body="",
            deadline=services.clock.now() + timedelta(days=10),
            timezone="Europe/Belgrade",
            audience=Audience(countries=("RS", "BA")),
            answer_kind=AnswerKind.DOCUMENTS,
        ),
        created_by=ADMIN_ID,
    )
    await services.requests.add_document(
        request_id, ANA.id, file_id="f1", file_unique_id="u1", file_name="law.pdf",
        mime_type="application/pdf", file_size=10,
    )  # fmt: skip
    await services.requests.clear_documents(request_id, ANA.id)
    await services.requests.set_deadline(
        request_id, services.clock.now() + timedelta(days=12), changed_by=ADMIN_ID
    )
    await services.requests.mark(
        request_id, "country:BA", ResponseStatus.NOT_APPLICABLE, marked_by=ADMIN_ID
    )
    await services.requests.cancel(request_id, cancelled_by=ADMIN_ID)
    plan = plan_spec(
        {"slug": "p", "items": [{"ref": "1", "title": "Report", "responsible": "RS",
                                 "every": "semester"}]},
        services.clock.now(),
        "Europe/Belgrade",
    )  # fmt: skip
    await services.plans.import_plan(plan, imported_by=ADMIN_ID)
    await bot.say(ADMIN, f"/export request {request_id}")

    # Data protection: a copy, forgetting, and the retention of a revoked member.
    await bot.say(BOJAN, "/mydata")
    await bot.say(DENIS, "/forget")
    await bot.press(DENIS, bot.last_buttons(DENIS)[0][1])
    await bot.say(ADMIN, f"/revoke {await member_id(bot, BOJAN)}")
    await bot.press(ADMIN, f"rvk:{await member_id(bot, BOJAN)}")  # confirmed
    bot.clock.advance(timedelta(days=400))
    await services.privacy.purge()

    recorded = await actions(bot)
    assert set(recorded) == {action.value for action in Action}
    # Nothing in the log names anyone: people are references, details are ids and codes.
    async with services.db.engine.connect() as connection:
        rows = (await connection.execute(sa.select(audit_log))).all()
    text = json.dumps([list(map(str, row)) for row in rows], ensure_ascii=False)
    for name in ("Ana", "Bojan", "Cveta", "Denis", "Petrović", "Arriving", "law.pdf", "Minutes"):
        assert name not in text
    for person in (ANA, BOJAN, CVETA, DENIS):
        # As a number of its own: a random reference (P-3f701c…) may hold the digits.
        assert not re.search(rf"(?<![0-9A-Za-z]){person.id}(?![0-9A-Za-z])", text)


async def test_the_log_cannot_be_changed_or_deleted(bot: Harness) -> None:
    await setup_team(bot)
    assert await actions(bot)  # the admin's role, the team
    for statement in (
        sa.update(audit_log).values(action="tampered"),
        sa.delete(audit_log),
    ):
        with pytest.raises(sa.exc.DBAPIError) as error:
            async with bot.services.db.transaction() as tx:
                await tx.connection.execute(statement)
        assert "append-only" in str(error.value)
    assert "tampered" not in await actions(bot)


async def test_audit_and_proof_of_notification(bot: Harness) -> None:
    services = bot.services
    await setup_team(bot)
    await bot.say(ADMIN, "/start")
    await register(bot, ANA, await new_invite(bot), "sr_Latn")
    await register(bot, DENIS, await new_invite(bot), "bs", country="BA")
    meeting = await services.meetings.announce(
        meeting_spec(audience=Audience(teams=("criminal",))), created_by=ADMIN_ID
    )
    await bot.deliver()
    await services.rsvp.answer(
        await invitation(bot, meeting.meeting.id, ANA), ANA.id, Answer.ONLINE
    )
    await bot.say(ADMIN, f"/status {meeting.meeting.id}")
    assert f"#{meeting.notice_id}" in bot.last_text(ADMIN)
    await bot.say(ADMIN, f"/proof {meeting.notice_id}")
    caption = bot.api.of("sendDocument")[-2].params["caption"]
    assert caption == (
        f"Proof of notification, notice #{meeting.notice_id}: 2 recipients, 2 delivered, "
        "0 acknowledged, 1 answered."
    )
    sheet = load_workbook(io.BytesIO(bot.api.of("sendDocument")[-1].params["document"].content))
    rows = list(sheet.active.values)
    assert rows[0][:4] == ("country", "name", "reference", "state")
    ana_row = next(r for r in rows if r[1] == "Ana Petrović")
    assert ana_row[3] == "sent" and ana_row[5] and ana_row[6] and ana_row[9]
    await bot.say(ADMIN, "/audit")
    audit_csv = bot.api.of("sendDocument")[-2].params["document"].content.decode("utf-8-sig")
    assert "meeting.create" in audit_csv and "rsvp.answer" in audit_csv
    assert "Ana Petrović (P-" in audit_csv  # named while she is a member
    await bot.say(ADMIN, "/audit 2026-11-01 yesterday")
    assert "Usage: /audit" in bot.last_text(ADMIN)
    await bot.say(ADMIN, "/proof 999")
    assert bot.last_text(ADMIN) == "There is no notice #999."
