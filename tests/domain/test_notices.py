"""Notices (bot/domain/notices.py) with the fake clock and a real database: whom an audience
reaches, now that the database selects it (a broadcast is queued without loading its
audience), and how blocked members among many are recorded."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from bot.domain.audit import Action
from bot.domain.clock import FakeClock
from bot.domain.meetings import Meetings, MeetingSpec
from bot.domain.models import (
    Audience,
    DeliveryState,
    MeetingMode,
    MemberStatus,
    Role,
    TeamRole,
)
from bot.domain.notices import (
    FOCAL_POINT_ROLE,
    AnnouncementSpec,
    NoticeError,
    NoticeProblem,
    Notices,
)
from bot.domain.reminders import Planner, ReminderConfig
from storage.db import Database
from tests.auxil.data import insert_member

CHAIR, MEMBER, OBSERVER = TeamRole.CHAIR.value, TeamRole.MEMBER.value, TeamRole.OBSERVER.value
ACTIVE, BLOCKED = MemberStatus.ACTIVE, MemberStatus.UNREACHABLE


@dataclass(frozen=True)
class Person:
    telegram_user_id: int
    country: str
    status: MemberStatus
    teams: dict[str, str] = field(default_factory=dict)  # team slug -> role


ROSTER = [
    Person(2001, "RS", ACTIVE, {"alpha": CHAIR}),
    Person(2002, "RS", ACTIVE, {"alpha": MEMBER, "beta": CHAIR}),
    Person(2003, "MK", ACTIVE, {"beta": MEMBER}),
    Person(2004, "MK", BLOCKED, {"alpha": OBSERVER}),
    Person(2005, "GE", ACTIVE),
    Person(2006, "GE", MemberStatus.REVOKED, {"alpha": CHAIR}),
    Person(2007, "RS", MemberStatus.PENDING, {"beta": MEMBER}),
    Person(2008, "AL", BLOCKED),
    Person(2009, "AL", ACTIVE, {"beta": OBSERVER}),
    Person(2010, "MK", ACTIVE, {"alpha": MEMBER}),
]
FOCAL_POINT_GE = 2005  # also a member
FOCAL_POINT_MK = 2999  # not a member


def expected_members(audience: Audience, ids: dict[int, int], invited: set[int]) -> set[int]:
    """The rules of `select_members`' docstring, restated over the roster above (Telegram
    ids): teams, countries, named members and a meeting's invitees add up; roles narrow
    that down to those holding one in a team (in the named teams, if any), or select by
    themselves; only active and blocked members."""
    team_roles = {r for r in audience.roles if r != FOCAL_POINT_ROLE}
    chosen_ids = set()
    for person in ROSTER:
        if person.status not in (ACTIVE, BLOCKED):
            continue
        member_id = ids[person.telegram_user_id]
        chosen = (
            audience.everyone
            or bool(set(audience.teams) & set(person.teams))
            or person.country in audience.countries
            or member_id in audience.members
            or member_id in invited
        )
        if team_roles:
            relevant = (
                {person.teams[t] for t in audience.teams if t in person.teams}
                if audience.teams
                else set(person.teams.values())
            )
            has_role = bool(team_roles & relevant)
            only_roles = not (audience.teams or audience.countries or audience.members or invited)
            chosen = has_role if only_roles or audience.everyone else chosen and has_role
        if chosen:
            chosen_ids.add(person.telegram_user_id)
    return chosen_ids


def meeting(clock: FakeClock, audience: Audience) -> MeetingSpec:
    starts = clock.now() + timedelta(days=30)
    return MeetingSpec(
        title="Expert meeting",
        starts_at=starts,
        ends_at=starts + timedelta(hours=8),
        timezone="Europe/Belgrade",
        mode=MeetingMode.ONLINE,
        rsvp_deadline=starts - timedelta(days=7),
        audience=audience,
        online_url="https://example.org/meet",
    )


async def roster(db: Database, clock: FakeClock) -> dict[int, int]:
    """The roster above, with its focal points; Telegram id -> member id."""
    ids = {}
    async with db.transaction() as tx:
        for slug in ("alpha", "beta"):
            await tx.teams.create(slug, slug.title(), clock.now())
        for person in ROSTER:
            member_id = await insert_member(
                tx,
                person.telegram_user_id,
                f"P{person.telegram_user_id}",
                person.country,
                clock.now(),
            )
            for slug, role in person.teams.items():
                team = await tx.teams.by_slug(slug)
                assert team is not None
                await tx.teams.add_member(team.id, member_id, TeamRole(role), clock.now())
            if person.status is not ACTIVE:
                await tx.members.update(member_id, clock.now(), status=person.status.value)
            ids[person.telegram_user_id] = member_id
        await tx.accounts.ensure(FOCAL_POINT_MK, FOCAL_POINT_MK, clock.now())
        await tx.roles.grant(FOCAL_POINT_MK, Role.FOCAL_POINT, clock.now(), "MK")
        await tx.roles.grant(FOCAL_POINT_GE, Role.FOCAL_POINT, clock.now(), "GE")
    return ids


async def test_every_audience_reaches_whom_its_rules_say(db: Database, clock: FakeClock) -> None:
    ids = await roster(db, clock)
    meetings = Meetings(db, clock, Planner(ReminderConfig()))
    # A meeting with invitees (among them a revoked member), and one without any.
    invited_meeting = (
        await meetings.announce(
            meeting(clock, Audience(members=(ids[2003], ids[2005], ids[2006]))), created_by=None
        )
    ).meeting.id
    empty_meeting = (
        await meetings.announce(meeting(clock, Audience(members=(ids[2006],))), created_by=None)
    ).meeting.id
    invitees = {invited_meeting: {ids[2003], ids[2005], ids[2006]}, empty_meeting: set()}
    notices = Notices(db, clock)
    tried = 0
    for teams, countries, members, roles, everyone, meeting_id in itertools.product(
        [(), ("alpha",), ("alpha", "beta")],
        [(), ("RS",), ("MK", "GE")],
        [(), (ids[2005],)],
        [(), (CHAIR,), (MEMBER, OBSERVER), (FOCAL_POINT_ROLE,), (CHAIR, FOCAL_POINT_ROLE)],
        [False, True],
        [None, invited_meeting, empty_meeting],
    ):
        if everyone and (teams or members):
            continue  # "all" with other parts: a few of them are enough
        audience = Audience(
            teams=teams,
            countries=countries,
            members=members,
            roles=roles,
            everyone=everyone,
            meeting=meeting_id,
        )
        if audience.is_empty:
            continue
        tried += 1
        chosen = expected_members(audience, ids, invitees.get(meeting_id or 0, set()))
        expected = set(chosen)
        if FOCAL_POINT_ROLE in roles:
            expected |= {
                user
                for user, country in ((FOCAL_POINT_GE, "GE"), (FOCAL_POINT_MK, "MK"))
                if not countries or country in countries
            }
        assert await notices.count_members(audience) == len(chosen), audience
        if not expected:
            with pytest.raises(NoticeError) as raised:
                await notices.announce(
                    AnnouncementSpec(body="Hello", audience=audience),
                    created_by=None,
                    progress_chat_id=None,
                )
            assert raised.value.problem is NoticeProblem.NOBODY
            continue
        notice_id, recipients = await notices.announce(
            AnnouncementSpec(body="Hello", audience=audience),
            created_by=None,
            progress_chat_id=None,
        )
        async with db.transaction() as tx:
            rows = await tx.deliveries.of_notices([notice_id])
        assert recipients == len(rows) == len(expected), audience
        states = {row.telegram_user_id: row.state for row in rows}
        assert set(states) == expected, audience
        blocked = {p.telegram_user_id for p in ROSTER if p.status is BLOCKED}
        for user, state in states.items():
            # A blocked member picked as a member is recorded unreachable; as a focal
            # point alone, tried.
            unreachable = user in blocked and user in chosen
            assert state is (DeliveryState.UNREACHABLE if unreachable else DeliveryState.PENDING), (
                audience,
                user,
            )
    assert tried > 200


async def test_blocked_members_among_many_are_recorded_unreachable(
    db: Database, clock: FakeClock
) -> None:
    blocked = {3010, 3150, 3299}
    async with db.transaction() as tx:
        await tx.teams.create("network", "Network", clock.now())
        for user in range(3000, 3300):
            member_id = await insert_member(
                tx, user, f"M{user}", "RS", clock.now(), team_slug="network"
            )
            if user in blocked:
                await tx.members.update(member_id, clock.now(), status=BLOCKED.value)
    announced = await Meetings(db, clock, Planner(ReminderConfig())).announce(
        meeting(clock, Audience(teams=("network",))), created_by=None
    )
    assert announced.invited == 300
    assert announced.notice_id is not None
    async with db.transaction() as tx:
        rows = await tx.deliveries.of_notices([announced.notice_id])
        notice = await tx.notices.get(announced.notice_id)
        entries = await tx.audit.entries(object_type="notice", object_id=str(announced.notice_id))
        refs = {user: await tx.audit.ref_for(user, clock.now()) for user in blocked}
    assert notice is not None and notice.total == 300
    assert [r.telegram_user_id for r in rows] == list(range(3000, 3300))  # in member order
    unreachable = {r.telegram_user_id for r in rows if r.state is DeliveryState.UNREACHABLE}
    assert unreachable == blocked
    assert {r.last_error for r in rows if r.telegram_user_id in blocked} == {"blocked"}
    assert {r.state for r in rows if r.telegram_user_id not in blocked} == {DeliveryState.PENDING}
    marked = [e for e in entries if e.action == Action.DELIVERY_UNREACHABLE.value]
    assert sorted(e.subject_ref for e in marked) == sorted(refs.values())
    by_user = {r.telegram_user_id: r.id for r in rows}
    assert {(e.subject_ref, e.details["delivery"]) for e in marked} == {
        (refs[user], by_user[user]) for user in blocked
    }
