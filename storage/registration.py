"""Registrations in progress and the approval messages sent about them."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from storage.rows import Repo, upsert
from storage.schema import approval_messages, registrations


class RegistrationRepo(Repo):
    async def get(self, telegram_user_id: int) -> tuple[int, str, dict[str, Any]] | None:
        row = (
            await self.c.execute(
                sa.select(registrations).where(registrations.c.telegram_user_id == telegram_user_id)
            )
        ).first()
        if row is None:
            return None
        return row.invite_id, row.step, json.loads(row.data)

    async def save(
        self, telegram_user_id: int, invite_id: int, step: str, data: dict[str, Any], now: datetime
    ) -> None:
        encoded = json.dumps(data, ensure_ascii=False, sort_keys=True)
        await upsert(
            self.c,
            registrations,
            registrations.c.telegram_user_id,
            telegram_user_id,
            {"invite_id": invite_id, "step": step, "data": encoded, "updated_at": now},
            {"created_at": now},
        )

    async def delete(self, telegram_user_id: int) -> None:
        await self.c.execute(
            sa.delete(registrations).where(registrations.c.telegram_user_id == telegram_user_id)
        )


class ApprovalMessageRepo(Repo):
    async def add(self, member_id: int, chat_id: int, message_id: int) -> None:
        """Remember the newest card per approver (a later /pending replaces the older one)."""
        await self.c.execute(
            sa.delete(approval_messages).where(
                approval_messages.c.member_id == member_id, approval_messages.c.chat_id == chat_id
            )
        )
        await self.c.execute(
            sa.insert(approval_messages).values(
                member_id=member_id, chat_id=chat_id, message_id=message_id
            )
        )

    async def of_member(self, member_id: int) -> list[tuple[int, int]]:
        rows = await self.c.execute(
            sa.select(approval_messages.c.chat_id, approval_messages.c.message_id).where(
                approval_messages.c.member_id == member_id
            )
        )
        return [(chat_id, message_id) for chat_id, message_id in rows]

    async def clear(self, member_id: int) -> None:
        await self.c.execute(
            sa.delete(approval_messages).where(approval_messages.c.member_id == member_id)
        )
