"""The storage contract, run against every backend (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from bot.config import Settings
from bot.domain.clock import FakeClock
from bot.domain.meetings import MeetingSpec, meeting_from_spec
from bot.domain.models import (
    Audience,
    DeliveryState,
    MeetingMode,
    MemberStatus,
    NoticeKind,
    Role,
    TeamRole,
)
from bot.domain.request_models import AnswerKind
from bot.domain.requests import Requests, RequestSpec
from bot.domain.values import MAX_FILE_NAME, MAX_ID, clean_file_name, clean_text, parse_id
from bot.services import planner_for
from storage.db import Database, SchemaTooNewError, alembic_config
from storage.rows import MemberSelection
from storage.schema import metadata
from tests.auxil.data import insert_member

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


async def test_migrations_are_idempotent_and_match_the_schema(db: Database) -> None:
    assert await db.upgrade() == HEAD
    assert await db.upgrade() == HEAD

    def diff(connection: sa.Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        return compare_metadata(context, metadata)

    async with db.engine.connect() as connection:
        assert await connection.run_sync(diff) == []


async def test_a_schema_newer_than_the_code_is_refused(db: Database) -> None:
    async with db.engine.begin() as connection:
        await connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaTooNewError, match="9999"):
        await db.upgrade()


async def test_datetimes_come_back_aware_and_in_utc(db: Database) -> None:
    belgrade = timezone(timedelta(hours=1))
    async with db.transaction() as tx:
        await tx.accounts.ensure(1, 1, datetime(2026, 11, 23, 10, 0, tzinfo=belgrade))
    async with db.transaction() as tx:
        row = (await tx.connection.execute(sa.text("SELECT 1"))).scalar_one()
        assert row == 1
        account_created = (
            await tx.connection.execute(sa.select(metadata.tables["accounts"].c.created_at))
        ).scalar_one()
    assert account_created == NOW
    assert account_created.tzinfo is not None
    with pytest.raises(sa.exc.StatementError):
        async with db.transaction() as tx:
            await tx.accounts.ensure(2, 2, datetime(2026, 1, 1))  # naive: refused


async def test_a_failed_transaction_leaves_nothing(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction() as tx:
            await tx.teams.create("t", "Team", NOW)
            raise RuntimeError("boom")
    async with db.transaction() as tx:
        assert await tx.teams.all() == []


async def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(sa.exc.IntegrityError):
        async with db.transaction() as tx:
            await tx.members.create(
                now=NOW,
                telegram_user_id=12345,  # no such account
                full_name="Nobody",
                country="RS",
                institution="-",
                position="-",
                status="active",
                consent_version="1",
                consent_at=NOW,
            )


async def test_members_roles_teams_and_invites(db: Database) -> None:
    async with db.transaction() as tx:
        team = await tx.teams.create("board", "Executive board", NOW)
        await tx.accounts.ensure(10, 10, NOW)
        await tx.accounts.set_preferences(10, NOW, locale="hy", timezone="Asia/Yerevan")
        member_id = await tx.members.create(
            now=NOW,
            telegram_user_id=10,
            full_name="Armen Sargsyan",
            country="AM",
            institution="Prosecutor General's Office",
            position="Deputy",
            status="active",
            consent_version="1",
            consent_at=NOW,
        )
        await tx.teams.add_member(team.id, member_id, TeamRole.CHAIR, NOW)
        await tx.teams.add_member(team.id, member_id, TeamRole.CHAIR, NOW)  # idempotent
        assert await tx.roles.grant(10, Role.FOCAL_POINT, NOW, "AM")
        assert not await tx.roles.grant(10, Role.FOCAL_POINT, NOW, "AM")
        assert await tx.roles.grant(10, Role.ADMIN, NOW)
        assert not await tx.roles.grant(
            10, Role.ADMIN, NOW
        )  # "" country collides on PostgreSQL too
        invite_id = await tx.invites.create(
            token_hash="h" * 64,
            team_ids=[team.id],
            now=NOW,
            country="AM",
            max_uses=2,
            approval="manual",
            team_role="member",
            expires_at=NOW + timedelta(days=1),
        )
    async with db.transaction() as tx:
        found = await tx.members.search(team_slug="board", country="AM", status=MemberStatus.ACTIVE)
        assert [(m.full_name, m.locale, m.timezone, m.teams) for m in found] == [
            ("Armen Sargsyan", "hy", "Asia/Yerevan", ("board",))
        ]
        assert await tx.members.search(country="RS") == []
        assert sorted(await tx.roles.of(10)) == sorted([(Role.FOCAL_POINT, "AM"), (Role.ADMIN, "")])
        invite = await tx.invites.by_hash("h" * 64)
        assert invite is not None and [t.slug for t in invite.teams] == ["board"]
        assert await tx.invites.consume(invite_id, NOW)
        assert await tx.invites.consume(invite_id, NOW)
        assert not await tx.invites.consume(invite_id, NOW)  # used up
        assert await tx.members.set_status_if(
            member_id, MemberStatus.ACTIVE, MemberStatus.REVOKED, NOW
        )
        assert not await tx.members.set_status_if(
            member_id, MemberStatus.ACTIVE, MemberStatus.REVOKED, NOW
        )


async def test_concurrent_consumers_of_a_single_use_link_get_one_use(db: Database) -> None:
    async with db.transaction() as tx:
        team = await tx.teams.create("t", "T", NOW)
        invite_id = await tx.invites.create(
            token_hash="c" * 64,
            team_ids=[team.id],
            now=NOW,
            max_uses=1,
            approval="auto",
            team_role="member",
            expires_at=NOW + timedelta(days=1),
        )

    async def take() -> bool:
        async with db.transaction() as tx:
            return await tx.invites.consume(invite_id, NOW)

    results = await asyncio.gather(*(take() for _ in range(5)))
    assert sorted(results) == [False, False, False, False, True]


async def test_registration_drafts_and_processed_updates(db: Database) -> None:
    async with db.transaction() as tx:
        team = await tx.teams.create("t", "T", NOW)
        invite_id = await tx.invites.create(
            token_hash="d" * 64, team_ids=[team.id], now=NOW, max_uses=1, approval="auto",
            team_role="member", expires_at=NOW + timedelta(days=1),
        )  # fmt: skip
        await tx.accounts.ensure(20, 20, NOW)
        await tx.registrations.save(
            20, invite_id, "name", {"locale": "ka", "full_name": "ნინო"}, NOW
        )
        await tx.registrations.save(
            20, invite_id, "country", {"locale": "ka", "full_name": "ნინო"}, NOW
        )
    async with db.transaction() as tx:
        assert await tx.registrations.get(20) == (
            invite_id,
            "country",
            {"locale": "ka", "full_name": "ნინო"},
        )
        assert await tx.updates.claim(5, NOW)
        assert not await tx.updates.claim(5, NOW)
        assert await tx.updates.prune(NOW + timedelta(seconds=1)) == 1
        await tx.meta.set("bot_username", "a")
        await tx.meta.set("bot_username", "b")
        assert await tx.meta.get("bot_username") == "b"


async def test_what_members_type_is_kept_alike_on_both_backends(
    db: Database, settings: Settings
) -> None:
    """NUL bytes (PostgreSQL refuses them in text, SQLite keeps them), file names longer
    than the column, and row numbers at PostgreSQL's INTEGER limit: the domain's rules
    (bot/domain/values.py) make both backends keep the same thing, or refuse alike."""
    clock = FakeClock(NOW)
    requests = Requests(db, clock, planner_for(settings))
    async with db.transaction() as tx:
        await tx.teams.create("criminal", "Criminal matters", NOW)
        await insert_member(tx, 30, "Emina Hadžić", "BA", NOW, team_slug="criminal")

    def spec(kind: AnswerKind) -> RequestSpec:
        return RequestSpec(
            title="Legislation\x00 on extradition",
            body="",
            deadline=NOW + timedelta(days=10),
            timezone="Europe/Sarajevo",
            audience=Audience(countries=("BA",)),
            answer_kind=kind,
        )

    text_id, _, _ = await requests.create(spec(AnswerKind.TEXT), created_by=None)
    answered = await requests.answer_text(text_id, 30, "Article\x00 5 of the Law\x00")
    assert answered.owed.response.text == "Article 5 of the Law"
    documents_id, _, _ = await requests.create(spec(AnswerKind.DOCUMENTS), created_by=None)
    long_name = "Zakon\x00 o " + "međunarodnoj pravnoj pomoći " * 20 + ".pdf"
    answered = await requests.add_document(
        documents_id,
        30,
        file_id="f1",
        file_unique_id="u1",
        file_name=long_name,
        mime_type="application/pdf\x00",
        file_size=10,
    )
    (saved,) = answered.owed.response.files
    assert saved.file_name is not None and len(saved.file_name) <= MAX_FILE_NAME
    assert saved.file_name.startswith("Zakon o međunarodnoj") and saved.file_name.endswith(".pdf")
    assert saved.mime_type == "application/pdf"
    async with db.transaction() as tx:
        request = await tx.requests.get(text_id)
        assert request is not None and request.title == "Legislation on extradition"
        # Any number parse_id lets through can be looked up on both backends.
        assert parse_id(str(MAX_ID)) == MAX_ID and parse_id(str(MAX_ID + 1)) is None
        assert await tx.members.get(MAX_ID) is None
        assert await tx.requests.get(MAX_ID) is None
        assert await tx.invitations.get(MAX_ID) is None


def test_row_numbers_are_ascii_digits_within_integer() -> None:
    assert parse_id("12") == 12 and parse_id("#12") == 12 and parse_id(" 7 ") == 7
    for text in ("²", "٣", "12a", "-1", "+1", "0", "", "#", "1_000", "99999999999999999999", None):
        assert parse_id(text) is None, text


def test_file_names_keep_their_extension_when_shortened() -> None:
    assert clean_file_name("a\x00b.pdf") == "ab.pdf"
    assert clean_file_name("\x00\x01") is None and clean_file_name(None) is None
    shortened = clean_file_name("x" * 300 + ".docx")
    assert shortened is not None and len(shortened) == MAX_FILE_NAME
    assert shortened.endswith("….docx")
    assert len(clean_file_name("y" * 300) or "") == MAX_FILE_NAME
    assert clean_text("a\x00b") == "ab"


async def test_database_errors_never_show_the_values_of_a_query(db: Database) -> None:
    """Answers, names and file names stay out of error messages, and so out of the log."""
    from storage.schema import accounts

    async with db.transaction() as tx:
        await tx.accounts.ensure(42, 42, NOW)
    with pytest.raises(sa.exc.IntegrityError) as raised:
        async with db.transaction() as tx:
            await tx.connection.execute(
                sa.insert(accounts).values(
                    telegram_user_id=42, chat_id=42, timezone="Jelena Marković's answer",
                    created_at=NOW, updated_at=NOW,
                )
            )  # fmt: skip
    assert "Jelena" not in str(raised.value)
    assert "hidden due to hide_parameters" in str(raised.value)


async def test_queuing_from_a_member_selection(db: Database) -> None:
    """Invitations, deliveries and reminders inserted from a selection of members by the
    database (INSERT … SELECT), and blocked members' rows marked without reading the rest."""
    reached = (MemberStatus.ACTIVE, MemberStatus.UNREACHABLE)
    async with db.transaction() as tx:
        await tx.teams.create("t", "T", NOW)
        chair = await insert_member(
            tx, 31, "Chair", "RS", NOW, team_slug="t", role=TeamRole.CHAIR, timezone="Asia/Tbilisi"
        )
        blocked = await insert_member(tx, 32, "Blocked", "MK", NOW, team_slug="t")
        await tx.members.update(blocked, NOW, status=MemberStatus.UNREACHABLE.value)
        outside = await insert_member(tx, 33, "Outside", "RS", NOW)
        revoked = await insert_member(tx, 34, "Revoked", "MK", NOW, team_slug="t")
        await tx.members.update(revoked, NOW, status=MemberStatus.REVOKED.value)
        await insert_member(tx, 35, "No chat", "MK", NOW, team_slug="t")
        await tx.connection.execute(
            sa.update(metadata.tables["accounts"])
            .where(metadata.tables["accounts"].c.telegram_user_id == 35)
            .values(chat_id=None)
        )
        team = MemberSelection(statuses=reached, teams=("t",))
        assert await tx.audience.count(team) == 3
        assert await tx.audience.count(team, with_chat=True) == 2
        chairs = MemberSelection(statuses=reached, team_roles=("chair",), roles_alone=True)
        assert await tx.audience.count(chairs) == 1
        # Roles narrow the other parts down: members of MK holding "member" in a team.
        narrowed = MemberSelection(statuses=reached, countries=("MK",), team_roles=("member",))
        assert await tx.audience.count(narrowed) == 2
        everyone = MemberSelection(statuses=reached, everyone=True)
        assert await tx.audience.count(everyone) == 4
        assert (
            await tx.audience.count(MemberSelection(statuses=reached, member_ids=(outside,))) == 1
        )

        spec = MeetingSpec(
            title="Meeting",
            starts_at=NOW + timedelta(days=30),
            ends_at=NOW + timedelta(days=30, hours=2),
            timezone="Europe/Belgrade",
            mode=MeetingMode.ONLINE,
            rsvp_deadline=NOW + timedelta(days=20),
            audience=Audience(teams=("t",)),
            online_url="https://example.org",
        )
        meeting_id = await tx.meetings.create(meeting_from_spec(spec, NOW), NOW)
        assert await tx.invitations.add_selected(meeting_id, team, NOW) == 3
        assert await tx.invitations.add_selected(meeting_id, team, NOW) == 0  # kept once
        assert await tx.invitations.any(meeting_id)
        newcomers = MemberSelection(statuses=reached, everyone=True, not_invited_to=meeting_id)
        assert await tx.audience.count(newcomers) == 1  # only `outside`
        invitees = MemberSelection(statuses=reached, invited_to=meeting_id)
        assert await tx.audience.count(invitees) == 3

        notice_id = await tx.notices.create(
            kind=NoticeKind.INVITATION, now=NOW, meeting_id=meeting_id
        )
        assert await tx.deliveries.add_selected(notice_id, invitees, NOW) == 2  # not without a chat
        assert await tx.deliveries.add_selected(notice_id, invitees, NOW) == 0
        assert await tx.deliveries.total(notice_id) == 2
        notice = await tx.notices.get(notice_id)
        assert notice is not None and notice.total == 2
        rows = await tx.deliveries.of_notices([notice_id])
        assert [r.telegram_user_id for r in rows] == [31, 32]
        assert {r.next_attempt_at for r in rows} == {NOW}
        ids = {r.telegram_user_id: r.id for r in rows}
        assert await tx.deliveries.mark_blocked(notice_id, selection=invitees) == [(ids[32], 32)]
        assert await tx.deliveries.mark_blocked(notice_id, selection=invitees) == []  # pending only
        assert await tx.deliveries.mark_blocked(notice_id, users=[31, 99]) == [(ids[31], 31)]
        states = {
            r.telegram_user_id: (r.state, r.last_error)
            for r in await tx.deliveries.of_notices([notice_id])
        }
        assert states == {
            31: (DeliveryState.UNREACHABLE, "blocked"),
            32: (DeliveryState.UNREACHABLE, "blocked"),
        }

        # Answers the meeting no longer offers must be confirmed again; the others not.
        for member_id, answer in ((chair, "online"), (blocked, "in_person")):
            invitation = await tx.invitations.of(meeting_id, member_id)
            assert invitation is not None
            await tx.invitations.update(invitation.id, answer=answer)
        assert await tx.invitations.ask_reconfirmation(meeting_id, unless=["online"]) == 1
        confirming = {
            i.member_id for i in await tx.invitations.of_meeting(meeting_id) if i.needs_confirmation
        }
        assert confirming == {blocked}

        # Reminders go to active invitees (not the blocked one), one place for all alike.
        places = await tx.reminders.invitee_places(
            meeting_id, owing=True, answers=(), by_country=True
        )
        assert sorted(places, key=str) == [
            (None, "MK")
        ]  # the one without a chat; the chair answered
        coming = await tx.reminders.invitee_places(
            meeting_id, owing=False, answers=("online",), by_country=False
        )
        assert coming == [("Asia/Tbilisi", None)]
        at = NOW + timedelta(days=29)
        plan = {
            "subject": "meeting:1",
            "step": "start:1:86400",
            "due_at": at,
            "now": NOW,
        }
        assert (
            await tx.reminders.plan_invitees(
                meeting_id,
                owing=False,
                answers=("online",),
                send_at={("Asia/Tbilisi", None): at},
                **plan,
            )
            == 1
        )
        assert (
            await tx.reminders.plan_invitees(
                meeting_id,
                owing=False,
                answers=("online",),
                send_at={("Asia/Tbilisi", None): at},
                **plan,
            )
            == 0
        )  # kept once
        assert (
            await tx.reminders.plan_invitees(
                meeting_id, owing=True, answers=(), send_at={("Europe/Rome", "MK"): at}, **plan
            )
            == 0
        )  # nobody there
        planned = await tx.reminders.of_subject("meeting:1")
        assert [(r.telegram_user_id, r.send_at, r.due_at) for r in planned] == [(31, at, at)]
