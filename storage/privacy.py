"""What the bot holds about one person, and erasing it (see bot/domain/privacy.py)."""

from __future__ import annotations

import contextlib
import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from bot.domain.request_models import Party
from storage.rows import Repo
from storage.schema import (
    accounts,
    approval_messages,
    deliveries,
    invitations,
    invites,
    meetings,
    members,
    notices,
    pending_inputs,
    registrations,
    reminders,
    requests,
    response_files,
    responses,
    roles,
    team_members,
    teams,
    token_attempts,
)


def _plain(row: Any) -> dict[str, Any]:
    found = {}
    for key, value in row._mapping.items():
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, str) and key in {"data", "translations", "changes", "audience"}:
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        found[key] = value
    return found


class PrivacyRepo(Repo):
    async def _saved_files(self, response_ids: Any) -> list[str]:
        """Where the copies of these responses' documents are (a list or a subquery)."""
        rows = await self.c.execute(
            sa.select(response_files.c.path).where(
                response_files.c.response_id.in_(response_ids),
                response_files.c.path.is_not(None),
            )
        )
        return [str(path) for path in rows.scalars()]

    async def _rows(self, query: sa.Select[Any]) -> list[dict[str, Any]]:
        return [_plain(row) for row in await self.c.execute(query)]

    async def snapshot(self, telegram_user_id: int) -> dict[str, Any]:
        """Every row about the person, by table (personal data of others left out)."""
        user = telegram_user_id
        member_row = (
            await self.c.execute(sa.select(members).where(members.c.telegram_user_id == user))
        ).first()
        member_id = member_row.id if member_row else None
        found: dict[str, Any] = {
            "account": await self._rows(
                sa.select(accounts).where(accounts.c.telegram_user_id == user)
            ),
            "member": [_plain(member_row)] if member_row else [],
            "roles": await self._rows(
                sa.select(roles.c.role, roles.c.country, roles.c.created_at).where(
                    roles.c.telegram_user_id == user
                )
            ),
            "registration_in_progress": await self._rows(
                sa.select(registrations).where(registrations.c.telegram_user_id == user)
            ),
            "input_in_progress": await self._rows(
                sa.select(pending_inputs).where(pending_inputs.c.telegram_user_id == user)
            ),
            "messages_sent_to_you": await self._rows(
                sa.select(
                    deliveries.c.notice_id,
                    notices.c.kind,
                    deliveries.c.state,
                    deliveries.c.sent_at,
                    deliveries.c.acknowledged_at,
                    deliveries.c.created_at,
                )
                .join(notices, notices.c.id == deliveries.c.notice_id)
                .where(deliveries.c.telegram_user_id == user)
                .order_by(deliveries.c.id)
            ),
            "planned_reminders": await self._rows(
                sa.select(
                    reminders.c.subject, reminders.c.step, reminders.c.send_at, reminders.c.state
                )
                .where(reminders.c.telegram_user_id == user)
                .order_by(reminders.c.id)
            ),
        }
        if member_id is None:
            return found
        found["teams"] = await self._rows(
            sa.select(teams.c.slug, teams.c.name, team_members.c.role, team_members.c.created_at)
            .join(teams, teams.c.id == team_members.c.team_id)
            .where(team_members.c.member_id == member_id)
        )
        found["meeting_invitations"] = await self._rows(
            sa.select(
                invitations.c.meeting_id,
                meetings.c.title,
                meetings.c.starts_at,
                invitations.c.answer,
                invitations.c.comment,
                invitations.c.answered_at,
                invitations.c.invited_at,
            )
            .join(meetings, meetings.c.id == invitations.c.meeting_id)
            .where(invitations.c.member_id == member_id)
            .order_by(invitations.c.id)
        )
        found["answers_to_requests"] = await self._rows(
            sa.select(
                responses.c.request_id,
                requests.c.title,
                responses.c.party,
                responses.c.status,
                responses.c.choice,
                responses.c.text,
                responses.c.answered_at,
            )
            .join(requests, requests.c.id == responses.c.request_id)
            .where(
                sa.or_(
                    responses.c.answered_by == member_id,
                    responses.c.party == str(Party.member(member_id)),
                )
            )
            .order_by(responses.c.id)
        )
        found["documents_you_sent"] = await self._rows(
            sa.select(
                response_files.c.file_name,
                response_files.c.mime_type,
                response_files.c.file_size,
                response_files.c.created_at,
            ).where(response_files.c.uploaded_by == member_id)
        )
        return found

    async def erase(self, telegram_user_id: int) -> list[str]:
        """Delete the person's personal data; other records lose the link to them.
        Returns the paths of saved documents that were theirs alone (to delete too)."""
        user = telegram_user_id
        member_id = (
            await self.c.execute(sa.select(members.c.id).where(members.c.telegram_user_id == user))
        ).scalar()
        paths: list[str] = []
        if member_id is not None:
            own = sa.select(responses.c.id).where(responses.c.party == str(Party.member(member_id)))
            paths = await self._saved_files(own)
            await self.c.execute(sa.delete(responses).where(responses.c.id.in_(own)))
            await self.c.execute(
                sa.update(responses)
                .where(responses.c.answered_by == member_id)
                .values(answered_by=None)
            )
            await self.c.execute(
                sa.update(response_files)
                .where(response_files.c.uploaded_by == member_id)
                .values(uploaded_by=None)
            )
            # Invitations, team memberships and approval cards go with the member row.
            await self.c.execute(sa.delete(members).where(members.c.id == member_id))
        await self.c.execute(sa.delete(deliveries).where(deliveries.c.telegram_user_id == user))
        await self.c.execute(sa.delete(reminders).where(reminders.c.telegram_user_id == user))
        await self.c.execute(sa.delete(roles).where(roles.c.telegram_user_id == user))
        await self.c.execute(
            sa.delete(token_attempts).where(token_attempts.c.telegram_user_id == user)
        )
        await self.c.execute(
            sa.delete(approval_messages).where(approval_messages.c.chat_id == user)
        )
        for table in (members, invites, meetings, notices, requests):
            column = table.c.decided_by if table is members else table.c.created_by
            await self.c.execute(sa.update(table).where(column == user).values({column.name: None}))
        await self.c.execute(
            sa.update(notices)
            .where(notices.c.progress_chat_id == user)
            .values(progress_chat_id=None, progress_message_id=None)
        )
        # Registrations and pending inputs go with the account.
        await self.c.execute(sa.delete(accounts).where(accounts.c.telegram_user_id == user))
        return paths

    async def revoked_before(self, cutoff: datetime) -> list[int]:
        rows = await self.c.execute(
            sa.select(members.c.telegram_user_id).where(
                members.c.status == "revoked", members.c.decided_at < cutoff
            )
        )
        return list(rows.scalars())

    async def purge_answers(self, cutoff: datetime, now: datetime) -> tuple[int, int, list[str]]:
        """Answers older than `cutoff`: invitations to meetings over by then are deleted;
        request answers lose their content and author (whether the party answered, and
        when, stays: that is the institution's record). Returns (invitations, answers, file
        paths to delete)."""
        ended = sa.select(meetings.c.id).where(meetings.c.ends_at < cutoff)
        removed = await self.c.execute(
            sa.delete(invitations).where(
                invitations.c.meeting_id.in_(ended),
                sa.or_(invitations.c.answered_at < cutoff, invitations.c.answered_at.is_(None)),
            )
        )
        old = sa.select(responses.c.id).where(
            responses.c.answered_at < cutoff,
            sa.or_(
                responses.c.text.is_not(None),
                responses.c.choice.is_not(None),
                responses.c.answered_by.is_not(None),
                responses.c.id.in_(sa.select(response_files.c.response_id)),
            ),
        )
        ids = list((await self.c.execute(old)).scalars())
        paths: list[str] = []
        if ids:
            paths = await self._saved_files(ids)
            await self.c.execute(
                sa.delete(response_files).where(response_files.c.response_id.in_(ids))
            )
            await self.c.execute(
                sa.update(responses)
                .where(responses.c.id.in_(ids))
                .values(text=None, choice=None, answered_by=None)
            )
        return max(removed.rowcount, 0), len(ids), paths
