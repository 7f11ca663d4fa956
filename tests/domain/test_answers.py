"""Answers (bot/domain/answers.py) with the fake clock and a real database: whom a request's
card reaches, now that the database selects its answerers (a request to every country is
queued without loading them)."""

from __future__ import annotations

from datetime import UTC, timedelta

from bot.domain.answers import notify_answerers
from bot.domain.clock import FakeClock
from bot.domain.models import Audience, DeliveryState, MemberStatus
from bot.domain.reminders import Planner, ReminderConfig
from bot.domain.request_models import AnswerKind
from bot.domain.requests import Requests, RequestSpec
from storage.db import Database
from tests.auxil.data import insert_member


async def recipients(db: Database, notice_id: int) -> list[tuple[int, DeliveryState]]:
    async with db.transaction() as tx:
        rows = await tx.deliveries.of_notices([notice_id])
    return sorted((d.telegram_user_id, d.state) for d in rows)


async def make_request(db: Database, clock: FakeClock, audience: Audience) -> tuple[int, int, int]:
    return await Requests(db, clock, Planner(ReminderConfig())).create(
        RequestSpec(
            title="Comments on the draft",
            body="",
            deadline=(clock.now() + timedelta(days=10)).astimezone(UTC),
            timezone="Europe/Belgrade",
            audience=audience,
            answer_kind=AnswerKind.CHOICE,
            options=("Yes", "No"),
        ),
        created_by=None,
    )


async def test_the_card_reaches_exactly_the_answerers_of_the_parties_once_each(
    db: Database, clock: FakeClock
) -> None:
    now = clock.now()
    async with db.transaction() as tx:
        await tx.teams.create("drafting", "Drafting group", now)
        ids = {
            user: await insert_member(tx, user, f"M{user}", country, now, team_slug=team)
            for user, country, team in [
                (6001, "RS", None),
                (6002, "RS", "drafting"),  # of the country and in the team
                (6003, "GE", None),  # named, and also of Georgia
                (6004, "MK", "drafting"),
                (6005, "AL", None),  # no party of theirs
                (6006, "RS", None),  # revoked
                (6007, "GE", "drafting"),  # blocked the bot
            ]
        }
        await tx.members.update(ids[6006], now, status=MemberStatus.REVOKED.value)
        await tx.members.update(ids[6007], now, status=MemberStatus.UNREACHABLE.value)
        team = await tx.teams.by_slug("drafting")
        assert team is not None
    request_id, notice_id, count = await make_request(
        db, clock, Audience(countries=("RS", "GE"), members=(ids[6003],))
    )
    pending = DeliveryState.PENDING
    # Active members only (as AudienceRepo.answerers): neither the revoked one nor the one
    # who blocked the bot gets a row (no "unreachable" row either, as before).
    assert await recipients(db, notice_id) == [(6001, pending), (6002, pending), (6003, pending)]
    assert count == 3
    # A team as a party (an action plan's obligation), with a member party and a country
    # that overlap it: each member once.
    async with db.transaction() as tx:
        request = await tx.requests.get(request_id)
        assert request is not None
        notice_id, count = await notify_answerers(
            tx,
            request,
            [f"team:{team.id}", f"member:{ids[6004]}", "country:GE", "member:99999"],
            clock.now(),
        )
    assert await recipients(db, notice_id) == [(6002, pending), (6003, pending), (6004, pending)]
    assert count == 3


async def test_a_card_to_more_member_parties_than_a_statement_takes_reaches_each_once(
    db: Database, clock: FakeClock
) -> None:
    """Member parties (a team's members, one by one) are selected in chunks; a member also
    reached through a country is still counted and queued once."""
    now = clock.now()
    users = range(7001, 7001 + 620)
    async with db.transaction() as tx:
        ids = [
            await insert_member(tx, user, f"M{user}", "RS" if user % 3 else "GE", now)
            for user in users
        ]
    request_id, _, _ = await make_request(db, clock, Audience(countries=("GE",)))
    async with db.transaction() as tx:
        request = await tx.requests.get(request_id)
        assert request is not None
        parties = [f"member:{member_id}" for member_id in ids[:600]] + ["country:GE"]
        notice_id, count = await notify_answerers(tx, request, parties, clock.now())
    expected = sorted({*users[:600], *(u for u in users if u % 3 == 0)})
    assert [user for user, _ in await recipients(db, notice_id)] == expected
    assert count == len(expected)
