"""The reminder planner (bot/domain/reminders.py) with the fake clock and a real database:
what it plans before a request's deadline, in whose time zone, for whom an answer is still
owed, and what is left of it once the deadline has passed."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from bot.domain.clock import FakeClock
from bot.domain.meetings import Meetings, MeetingSpec
from bot.domain.models import Answer, Audience, MeetingMode, MemberStatus
from bot.domain.plans import Plans
from bot.domain.reminders import (
    Planner,
    ReminderConfig,
    Reminders,
    meeting_subject,
    request_subject,
)
from bot.domain.request_models import AnswerKind
from bot.domain.requests import Requests, RequestSpec
from bot.domain.schedule import QuietHours
from bot.i18n import zone
from storage.db import Database
from tests.auxil.data import insert_member

BELGRADE = zone("Europe/Belgrade")
TBILISI = zone("Asia/Tbilisi")
DEADLINE = datetime(2026, 12, 10, 19, 0, tzinfo=BELGRADE)  # a Thursday; 22:00 in Tbilisi
SERB, SERB_COLLEAGUE, GEORGIAN, MACEDONIAN = 1001, 1002, 1003, 1004
DAY, HOUR = 86400, 3600

# The defaults: 7 days, 1 day and 2 hours before; quiet from 21:00 to 08:00; 6 hours' grace.
PLANNER = Planner(ReminderConfig())


async def members(db: Database, clock: FakeClock) -> None:
    async with db.transaction() as tx:
        for user, country, timezone in [
            (SERB, "RS", "Europe/Belgrade"),
            (SERB_COLLEAGUE, "RS", "Europe/Belgrade"),
            (GEORGIAN, "GE", "Asia/Tbilisi"),
            (MACEDONIAN, "MK", "Europe/Skopje"),
        ]:
            await insert_member(tx, user, f"Member {user}", country, clock.now(), timezone=timezone)


async def make_request(db: Database, clock: FakeClock, countries: tuple[str, ...]) -> int:
    request_id, _, _ = await Requests(db, clock, PLANNER).create(
        RequestSpec(
            title="Nominate a contact point",
            body="",
            deadline=DEADLINE.astimezone(UTC),
            timezone="Europe/Belgrade",
            audience=Audience(countries=countries),
            answer_kind=AnswerKind.CHOICE,
            options=("Yes", "No"),
        ),
        created_by=None,
    )
    return request_id


async def planned(db: Database, request_id: int) -> list[tuple[int, str, datetime, str]]:
    """(recipient, step, when, state) of the request's reminders, in the order they are due."""
    async with db.transaction() as tx:
        rows = await tx.reminders.of_subject(request_subject(request_id))
    found = [(r.telegram_user_id, r.step, r.send_at, r.state.value) for r in rows]
    return sorted(found, key=lambda row: (row[2], row[0]))


def before(offset: int) -> str:
    return f"before:{int(DEADLINE.timestamp())}:{offset}"


async def test_one_reminder_per_offset_before_the_deadline_for_each_who_may_answer(
    db: Database, clock: FakeClock
) -> None:
    await members(db, clock)
    request_id = await make_request(db, clock, ("RS",))
    # Both Serbian members may give Serbia's answer: each is reminded, the Georgian is not.
    assert await planned(db, request_id) == [
        (SERB, before(7 * DAY), DEADLINE - timedelta(days=7), "planned"),
        (SERB_COLLEAGUE, before(7 * DAY), DEADLINE - timedelta(days=7), "planned"),
        (SERB, before(DAY), DEADLINE - timedelta(days=1), "planned"),
        (SERB_COLLEAGUE, before(DAY), DEADLINE - timedelta(days=1), "planned"),
        (SERB, before(2 * HOUR), DEADLINE - timedelta(hours=2), "planned"),
        (SERB_COLLEAGUE, before(2 * HOUR), DEADLINE - timedelta(hours=2), "planned"),
    ]


async def test_reminders_are_placed_in_the_recipients_time_zone_outside_quiet_hours(
    db: Database, clock: FakeClock
) -> None:
    await members(db, clock)
    request_id = await make_request(db, clock, ("GE",))
    # 19:00 in Belgrade is 22:00 in Tbilisi: the 7-day and 1-day reminders fall into the
    # night there and move to 08:00 the next morning; 2 hours before is 20:00, in time.
    assert [(step, send) for _, step, send, _ in await planned(db, request_id)] == [
        (before(7 * DAY), datetime(2026, 12, 4, 8, 0, tzinfo=TBILISI)),
        (before(DAY), datetime(2026, 12, 10, 8, 0, tzinfo=TBILISI)),
        (before(2 * HOUR), datetime(2026, 12, 10, 20, 0, tzinfo=TBILISI)),
    ]


def test_a_reminder_whose_next_morning_is_too_late_comes_the_evening_before_or_not_at_all(
    clock: FakeClock,
) -> None:
    planner = Planner(ReminderConfig(quiet=QuietHours(time(21), time(8))))
    due = datetime(2026, 12, 10, 22, 30, tzinfo=TBILISI)  # in the night
    deadline = datetime(2026, 12, 10, 23, 30, tzinfo=TBILISI)
    options = {"skip_days_off": False, "not_after": deadline}
    # The next morning is after the deadline: the last minute before the night instead.
    assert planner.when(due, "Asia/Tbilisi", "GE", now=clock.now(), **options) == datetime(
        2026, 12, 10, 20, 59, tzinfo=TBILISI
    )
    # Unless that minute has passed already: then no polite moment is left.
    late = datetime(2026, 12, 10, 21, 0, tzinfo=TBILISI)
    assert planner.when(due, "Asia/Tbilisi", "GE", now=late, **options) is None
    # Without a zone of their own, a person is reminded in the default one (Belgrade).
    assert planner.when(
        datetime(2026, 12, 3, 22, 0, tzinfo=BELGRADE), None, None, now=clock.now(), **options
    ) == datetime(2026, 12, 4, 8, 0, tzinfo=BELGRADE)


async def test_offsets_already_past_when_the_request_is_made_are_not_planned(
    db: Database, clock: FakeClock
) -> None:
    await members(db, clock)
    clock.set(DEADLINE - timedelta(days=3))
    request_id = await make_request(db, clock, ("MK",))
    assert [(user, step) for user, step, _, _ in await planned(db, request_id)] == [
        (MACEDONIAN, before(DAY)),
        (MACEDONIAN, before(2 * HOUR)),
    ]


async def test_only_answers_still_owed_are_reminded(db: Database, clock: FakeClock) -> None:
    await members(db, clock)
    requests = Requests(db, clock, PLANNER)
    request_id = await make_request(db, clock, ("RS", "MK"))
    # One Serbian member answers for Serbia: neither Serbian member is reminded any more.
    await requests.answer_choice(request_id, SERB, 0)
    assert {user for user, _, _, _ in await planned(db, request_id)} == {MACEDONIAN}
    # Planned again from the current state (as when the deadline moves): the same.
    async with db.transaction() as tx:
        request = await tx.requests.get(request_id)
        assert request is not None
        await PLANNER.replan_request(tx, request, clock.now())
    rows = await planned(db, request_id)
    assert {user for user, _, _, _ in rows} == {MACEDONIAN} and len(rows) == 3


async def test_after_the_deadline_nothing_before_it_is_planned_or_sent(
    db: Database, clock: FakeClock
) -> None:
    await members(db, clock)
    request_id = await make_request(db, clock, ("MK",))
    clock.set(DEADLINE + timedelta(minutes=1))
    async with db.transaction() as tx:
        request = await tx.requests.get(request_id)
        assert request is not None
        assert await PLANNER.plan_request(tx, request, clock.now()) == 0
    # The sweep escalates (to nobody: no focal point, no admin) and drops the reminders
    # that were meant for before the deadline, unsent.
    report = await Reminders(db, clock, PLANNER, Plans(db, clock, PLANNER)).sweep()
    assert (report.escalated, report.queued) == (1, 0)
    assert await planned(db, request_id) == []


async def test_the_sweep_sends_what_is_due_and_skips_what_was_missed_by_more_than_the_grace(
    db: Database, clock: FakeClock
) -> None:
    await members(db, clock)
    request_id = await make_request(db, clock, ("MK",))
    sweeper = Reminders(db, clock, PLANNER, Plans(db, clock, PLANNER))
    # Down from before the 7-day reminder until 7 hours after the 1-day one (grace: 6 h).
    clock.set(DEADLINE - timedelta(days=1) + timedelta(hours=7))
    report = await sweeper.sweep()
    assert (report.skipped, report.queued) == (2, 0)
    clock.set(DEADLINE - timedelta(hours=2) + timedelta(minutes=5))  # 5 minutes late: sent
    report = await sweeper.sweep()
    assert (report.skipped, report.queued) == (0, 1)
    assert [(step, state) for _, step, _, state in await planned(db, request_id)] == [
        (before(7 * DAY), "skipped"),
        (before(DAY), "skipped"),
        (before(2 * HOUR), "queued"),
    ]
    assert (await sweeper.sweep()).queued == 0  # each reminder once


async def test_a_meeting_planned_for_all_its_invitees_at_once_gets_the_rows_planned_one_by_one(
    db: Database, clock: FakeClock
) -> None:
    """Planning a whole meeting is set-based (each step placed once per time zone and
    country, the rows inserted by the database); it plans exactly what planning each
    invitee on their own does, in their zone, with days off, for each answer."""
    planner = Planner(ReminderConfig(skip_days_off=True))
    people = [
        (4001, "RS", "Europe/Belgrade"),
        (4002, "GE", "Asia/Tbilisi"),
        (4003, "MK", None),
        (4004, "AL", "America/New_York"),
        (4005, "RS", "Asia/Tbilisi"),
        (4006, "GE", "Europe/Belgrade"),
        (4007, "MK", "Europe/Skopje"),
    ]
    async with db.transaction() as tx:
        ids = [
            await insert_member(tx, user, f"M{user}", country, clock.now(), timezone=zone_name)
            for user, country, zone_name in people
        ]
    starts = datetime(2026, 12, 25, 9, 0, tzinfo=BELGRADE)  # a holiday in some countries
    announced = await Meetings(db, clock, planner).announce(
        MeetingSpec(
            title="Year-end meeting",
            starts_at=starts.astimezone(UTC),
            ends_at=(starts + timedelta(hours=6)).astimezone(UTC),
            timezone="Europe/Belgrade",
            mode=MeetingMode.HYBRID,
            rsvp_deadline=datetime(2026, 12, 7, 23, 59, tzinfo=BELGRADE).astimezone(UTC),
            audience=Audience(members=tuple(ids)),
            city="Belgrade",
            online_url="https://example.org/meet",
            reminder_offsets=(3 * DAY, DAY, HOUR),
        ),
        created_by=None,
    )
    meeting = announced.meeting
    answers = [Answer.IN_PERSON, Answer.ONLINE, Answer.NOT_ATTENDING, Answer.IN_PERSON]
    async with db.transaction() as tx:
        for member_id, answer in zip(ids, answers, strict=False):
            invitation = await tx.invitations.of(meeting.id, member_id)
            assert invitation is not None
            await tx.invitations.update(
                invitation.id, answer=answer.value, needs_confirmation=member_id == ids[3]
            )
        await tx.members.update(ids[6], clock.now(), status=MemberStatus.UNREACHABLE.value)

    async def plan(member_ids: list[int] | None) -> set[tuple[int, str, datetime, datetime]]:
        async with db.transaction() as tx:
            await tx.reminders.drop_planned(meeting_subject(meeting.id))
            await planner.plan_meeting(tx, meeting, clock.now(), member_ids)
            rows = await tx.reminders.of_subject(meeting_subject(meeting.id))
        return {(r.telegram_user_id, r.step, r.due_at, r.send_at) for r in rows}

    together = await plan(None)
    assert together == await plan(ids)
    kinds = {(user, step.split(":")[0]) for user, step, _, _ in together}
    assert kinds == {
        (4001, "start"),
        (4002, "start"),
        (4004, "before"),  # must confirm again…
        (4004, "start"),  # …and said they come
        (4005, "before"),
        (4006, "before"),
    }  # not 4003 (not attending), nor 4007 (blocked)


async def test_a_request_planned_for_all_its_answers_at_once_gets_the_rows_planned_one_by_one(
    db: Database, clock: FakeClock
) -> None:
    """Planning a whole request is set-based (each step placed once per time zone and
    country, the rows inserted by the database from the owed responses); it plans exactly
    what planning each response on its own does: in each answerer's zone, outside quiet
    hours and days off, for member, country and team parties, one row per person (for the
    first of their parties), none for an answered party nor for a member no longer active."""
    planner = Planner(ReminderConfig())
    people = [
        (5001, "RS", "Europe/Belgrade", None),
        (5002, "GE", "Asia/Tbilisi", "drafting"),
        (5003, "MK", None, None),
        (5004, "AL", "America/New_York", "drafting"),
        (5005, "RS", "Asia/Tbilisi", None),
        (5006, "HR", "Europe/Zagreb", None),  # Croatia: 25 December is a holiday
        (5007, "HR", "Europe/Zagreb", "drafting"),  # revoked below
        (5008, "AL", "Europe/Tirane", None),  # Albania's answer is given below
    ]
    deadline = datetime(2026, 12, 28, 12, 0, tzinfo=BELGRADE)  # a Monday
    async with db.transaction() as tx:
        await tx.teams.create("drafting", "Drafting group", clock.now())
        ids = {
            user: await insert_member(
                tx, user, f"M{user}", country, clock.now(), timezone=zone_name, team_slug=team
            )
            for user, country, zone_name, team in people
        }
    request_id, _, _ = await Requests(db, clock, planner).create(
        RequestSpec(
            title="Comments on the draft",
            body="",
            deadline=deadline.astimezone(UTC),
            timezone="Europe/Belgrade",
            audience=Audience(countries=("RS", "HR", "AL"), members=(ids[5002], ids[5003])),
            answer_kind=AnswerKind.TEXT,
            options=(),
            # 3 days before is Christmas (a holiday in Croatia), 1 day before a Sunday, and
            # 19:00 in Belgrade is 22:00 in Tbilisi (quiet hours).
            reminder_offsets=(3 * DAY, DAY, 17 * HOUR),
            skip_days_off=True,
        ),
        created_by=None,
    )
    async with db.transaction() as tx:
        team = await tx.teams.by_slug("drafting")
        assert team is not None
        # A team as a party, as an action plan's obligation makes it.
        await tx.responses.add_many(request_id, [f"team:{team.id}"], clock.now())
        request = await tx.requests.get(request_id)
        assert request is not None
        albania = next(
            r for r in await tx.responses.of_requests([request_id]) if r.party == "country:AL"
        )
        await tx.responses.update(albania.id, status="submitted")
        await tx.members.update(ids[5007], clock.now(), status=MemberStatus.REVOKED.value)

    async def plan(one_by_one: bool) -> set[tuple[int, str, int | None, datetime, datetime]]:
        async with db.transaction() as tx:
            await tx.reminders.drop_planned(request_subject(request_id))
            responses = await tx.responses.of_requests([request_id]) if one_by_one else None
            await planner.plan_request(tx, request, clock.now(), responses)
            rows = await tx.reminders.of_subject(request_subject(request_id))
        return {(r.telegram_user_id, r.step, r.response_id, r.due_at, r.send_at) for r in rows}

    together = await plan(False)
    assert together == await plan(True)
    async with db.transaction() as tx:
        party_of = {r.id: r.party for r in await tx.responses.of_requests([request_id])}
    reminded = {(user, party_of[response]) for user, _, response, _, _ in together}
    assert reminded == {
        (5001, "country:RS"),
        (5002, f"member:{ids[5002]}"),  # not also as the team's: its own party comes first
        (5003, f"member:{ids[5003]}"),
        (5004, f"team:{team.id}"),  # Albania answered, the team has not
        (5005, "country:RS"),
        (5006, "country:HR"),
    }  # not 5007 (revoked), nor 5008 (Albania answered)
    assert len(together) == 6 * 3
    croatian = sorted(send for user, _, _, _, send in together if user == 5006)
    assert croatian[0].astimezone(BELGRADE).date() == datetime(2026, 12, 28).date()
