"""Invitation links: their tokens, teams and limits, and the tokens tried by each person."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from bot.domain.models import Approval, Invite, Team, TeamRole
from storage.rows import Repo, upsert
from storage.schema import invite_teams, invites, teams, token_attempts


class InviteRepo(Repo):
    async def create(
        self,
        *,
        token_hash: str,
        team_ids: Sequence[int],
        now: datetime,
        **values: Any,
    ) -> int:
        result = await self.c.execute(
            sa.insert(invites)
            .values(token_hash=token_hash, uses=0, created_at=now, **values)
            .returning(invites.c.id)
        )
        invite_id = int(result.scalar_one())
        await self.c.execute(
            sa.insert(invite_teams), [{"invite_id": invite_id, "team_id": t} for t in team_ids]
        )
        return invite_id

    async def _load(self, condition: sa.ColumnElement[bool]) -> Invite | None:
        row = (await self.c.execute(sa.select(invites).where(condition))).first()
        if row is None:
            return None
        team_rows = await self.c.execute(
            sa.select(teams.c.id, teams.c.slug, teams.c.name)
            .join(invite_teams, invite_teams.c.team_id == teams.c.id)
            .where(invite_teams.c.invite_id == row.id)
            .order_by(teams.c.slug)
        )
        return Invite(
            id=row.id,
            country=row.country,
            max_uses=row.max_uses,
            uses=row.uses,
            approval=Approval(row.approval),
            team_role=TeamRole(row.team_role),
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
            created_by=row.created_by,
            teams=tuple(Team(*team) for team in team_rows),
        )

    async def by_hash(self, token_hash: str) -> Invite | None:
        return await self._load(invites.c.token_hash == token_hash)

    async def get(self, invite_id: int) -> Invite | None:
        return await self._load(invites.c.id == invite_id)

    async def revoke(self, invite_id: int, now: datetime) -> bool:
        result = await self.c.execute(
            sa.update(invites)
            .where(invites.c.id == invite_id, invites.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return result.rowcount == 1

    async def consume(self, invite_id: int, now: datetime) -> bool:
        """Count one use, atomically, only while uses remain and the link is valid."""
        result = await self.c.execute(
            sa.update(invites)
            .where(
                invites.c.id == invite_id,
                invites.c.uses < invites.c.max_uses,
                invites.c.expires_at > now,
                invites.c.revoked_at.is_(None),
            )
            .values(uses=invites.c.uses + 1)
        )
        return result.rowcount == 1


class TokenAttemptRepo(Repo):
    """Invitation tokens tried by one person, so that guessing is slowed (bot/domain/invites.py)."""

    async def get(self, telegram_user_id: int) -> tuple[int, datetime] | None:
        """(failures, time of the last) for the person, or None."""
        row = (
            await self.c.execute(
                sa.select(token_attempts.c.failures, token_attempts.c.last_failure_at).where(
                    token_attempts.c.telegram_user_id == telegram_user_id
                )
            )
        ).first()
        return (int(row.failures), row.last_failure_at) if row else None

    async def failed(self, telegram_user_id: int, failures: int, now: datetime) -> None:
        await upsert(
            self.c,
            token_attempts,
            token_attempts.c.telegram_user_id,
            telegram_user_id,
            {"failures": failures, "last_failure_at": now},
        )

    async def clear(self, telegram_user_id: int) -> None:
        await self.c.execute(
            sa.delete(token_attempts).where(token_attempts.c.telegram_user_id == telegram_user_id)
        )
