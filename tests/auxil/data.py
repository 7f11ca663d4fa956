"""Members written straight into the database, for tests that are not about registering."""

from __future__ import annotations

from datetime import datetime

from bot.domain.models import MemberStatus, TeamRole
from storage.tx import Tx


async def insert_member(
    tx: Tx,
    telegram_user_id: int,
    full_name: str,
    country: str,
    now: datetime,
    *,
    locale: str | None = None,
    timezone: str | None = None,
    team_slug: str | None = None,
    role: TeamRole = TeamRole.MEMBER,
    institution: str = "Ministry of Justice",
    position: str = "Adviser",
) -> int:
    """An active member with an account (its chat is its Telegram id), in `team_slug`."""
    await tx.accounts.ensure(telegram_user_id, telegram_user_id, now)
    preferences = {k: v for k, v in (("locale", locale), ("timezone", timezone)) if v}
    if preferences:
        await tx.accounts.set_preferences(telegram_user_id, now, **preferences)
    member_id = await tx.members.create(
        now=now,
        telegram_user_id=telegram_user_id,
        full_name=full_name,
        country=country,
        institution=institution,
        position=position,
        email=None,
        status=MemberStatus.ACTIVE.value,
        consent_version="1",
        consent_at=now,
    )
    if team_slug is not None:
        team = await tx.teams.by_slug(team_slug)
        assert team is not None, team_slug
        await tx.teams.add_member(team.id, member_id, role, now)
    return member_id
