"""Answering a meeting invitation: one tap, a comment, a substitute.

Every press is checked against the database: the invitation must be the presser's own,
the meeting still on, the deadline not passed, the answer one the meeting offers.
Pressing the answer one already gave changes nothing, so a press delivered twice
counts once.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

from bot.domain.audit import Action, record
from bot.domain.clock import Clock
from bot.domain.meetings import invite_more
from bot.domain.models import (
    Answer,
    Invitation,
    Meeting,
    MeetingStatus,
    Member,
    MemberStatus,
    Recipient,
    Role,
)
from bot.domain.reminders import Planner
from bot.domain.values import clean_text
from storage.db import Database
from storage.rows import MemberSelection
from storage.tx import Tx

MAX_COMMENT = 500


class Outcome(StrEnum):
    SAVED = "saved"
    UNCHANGED = "unchanged"  # the same answer again: nothing to record
    GONE = "gone"  # no such invitation or meeting (forged, or deleted)
    NOT_YOURS = "not_yours"
    NOT_ACTIVE = "not_active"  # the presser's access was withdrawn
    CANCELLED = "cancelled"
    DEADLINE_PASSED = "deadline_passed"
    NOT_OFFERED = "not_offered"  # an answer this meeting does not offer
    TOO_LONG = "too_long"
    ALREADY_INVITED = "already_invited"
    NOT_SAME_COUNTRY = "not_same_country"


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    meeting: Meeting | None = None
    invitation: Invitation | None = None
    member: Member | None = None
    substitute: Member | None = None
    notify: tuple[Recipient, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.outcome in (Outcome.SAVED, Outcome.UNCHANGED)


class Rsvp:
    def __init__(self, db: Database, clock: Clock, planner: Planner) -> None:
        self.db = db
        self.clock = clock
        self.planner = planner  # an answer changes which reminders the member gets

    async def _load(
        self, tx: Tx, invitation_id: int, telegram_user_id: int, *, writing: bool
    ) -> Result:
        """The invitation if the presser may act on it now; else why not."""
        found = await tx.invitations.with_context(invitation_id)
        if found is None:
            return Result(Outcome.GONE)
        invitation, meeting, member = found
        if member.telegram_user_id != telegram_user_id:
            return Result(Outcome.NOT_YOURS, meeting)
        if member.status is not MemberStatus.ACTIVE:
            return Result(Outcome.NOT_ACTIVE, meeting, invitation, member)
        if meeting.status is MeetingStatus.CANCELLED:
            return Result(Outcome.CANCELLED, meeting, invitation, member)
        if writing and self.clock.now() >= meeting.rsvp_deadline:
            return Result(Outcome.DEADLINE_PASSED, meeting, invitation, member)
        return Result(Outcome.SAVED, meeting, invitation, member)

    async def view(self, invitation_id: int, telegram_user_id: int) -> Result:
        async with self.db.transaction() as tx:
            return await self._load(tx, invitation_id, telegram_user_id, writing=False)

    async def may_comment(self, invitation_id: int, telegram_user_id: int) -> Result:
        """Whether the presser may write a comment now (the answers' rules: before the
        deadline, on a meeting not cancelled); SAVED if so."""
        async with self.db.transaction() as tx:
            return await self._load(tx, invitation_id, telegram_user_id, writing=True)

    async def mine(self, telegram_user_id: int) -> list[tuple[Meeting, Invitation]]:
        """The member's upcoming meetings with their invitation, soonest first."""
        async with self.db.transaction() as tx:
            member = await tx.members.by_telegram_id(telegram_user_id)
            if member is None or member.status is not MemberStatus.ACTIVE:
                return []
            found = []
            for meeting in await tx.meetings.of_member(member.id, self.clock.now()):
                invitation = await tx.invitations.of(meeting.id, member.id)
                if invitation is not None:
                    found.append((meeting, invitation))
            return found

    async def answer(self, invitation_id: int, telegram_user_id: int, answer: Answer) -> Result:
        async with self.db.transaction() as tx:
            loaded = await self._load(tx, invitation_id, telegram_user_id, writing=True)
            if loaded.outcome is not Outcome.SAVED:
                return loaded
            assert loaded.meeting is not None and loaded.invitation is not None
            if answer not in loaded.meeting.answers:
                return Result(Outcome.NOT_OFFERED, loaded.meeting, loaded.invitation)
            invitation = loaded.invitation
            if invitation.answer is answer and not invitation.needs_confirmation:
                return Result(Outcome.UNCHANGED, loaded.meeting, invitation, loaded.member)
            answered_at = self.clock.now()
            substitute_id = invitation.substitute_id
            changes: dict[str, object] = {
                "answer": answer.value,
                "answered_at": answered_at,
                "needs_confirmation": False,
            }
            if answer is not Answer.NOT_ATTENDING and substitute_id is not None:
                # Coming after all: the substitute stays invited, but no longer stands in.
                substitute_id = changes["substitute_id"] = None
            await tx.invitations.update(invitation.id, **changes)
            assert loaded.member is not None
            updated = replace(
                invitation,
                answer=answer,
                answered_at=answered_at,
                needs_confirmation=False,
                substitute_id=substitute_id,
            )
            await self.planner.replan_answer(
                tx, loaded.meeting, updated, loaded.member, self.clock.now()
            )
            await record(
                tx,
                self.clock.now(),
                Action.RSVP_ANSWER,
                "meeting",
                loaded.meeting.id,
                actor=telegram_user_id,
                subject=telegram_user_id,
                invitation=invitation.id,
                answer=answer.value,
            )
            return Result(Outcome.SAVED, loaded.meeting, updated, loaded.member)

    async def comment(self, invitation_id: int, telegram_user_id: int, text: str) -> Result:
        text = clean_text(text).strip()
        if len(text) > MAX_COMMENT:
            return Result(Outcome.TOO_LONG)
        async with self.db.transaction() as tx:
            loaded = await self._load(tx, invitation_id, telegram_user_id, writing=True)
            if loaded.outcome is not Outcome.SAVED:
                return loaded
            assert loaded.invitation is not None
            await tx.invitations.update(loaded.invitation.id, comment=text or None)
            await record(
                tx,
                self.clock.now(),
                Action.RSVP_COMMENT,
                "meeting",
                loaded.invitation.meeting_id,
                actor=telegram_user_id,
                subject=telegram_user_id,
                invitation=loaded.invitation.id,
            )
            updated = await tx.invitations.get(loaded.invitation.id)
            return Result(Outcome.SAVED, loaded.meeting, updated, loaded.member)

    async def substitute_candidates(
        self, invitation_id: int, telegram_user_id: int
    ) -> tuple[Result, list[Member]]:
        """Active members of the presser's own delegation who are not invited yet."""
        async with self.db.transaction() as tx:
            loaded = await self._load(tx, invitation_id, telegram_user_id, writing=True)
            if loaded.outcome is not Outcome.SAVED:
                return loaded, []
            assert loaded.member is not None and loaded.meeting is not None
            invited = {i.member_id for i in await tx.invitations.of_meeting(loaded.meeting.id)}
            candidates = [
                m
                for m in await tx.members.search(
                    country=loaded.member.country, status=MemberStatus.ACTIVE
                )
                if m.id not in invited
            ]
            return loaded, candidates

    async def name_substitute(
        self, invitation_id: int, telegram_user_id: int, substitute_id: int
    ) -> Result:
        """The member will not come; a colleague of their delegation is invited instead."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            loaded = await self._load(tx, invitation_id, telegram_user_id, writing=True)
            if loaded.outcome is not Outcome.SAVED:
                return loaded
            assert loaded.member is not None and loaded.meeting is not None
            assert loaded.invitation is not None
            substitute = await tx.members.get(substitute_id)
            if substitute is None or substitute.status is not MemberStatus.ACTIVE:
                return Result(Outcome.GONE, loaded.meeting, loaded.invitation, loaded.member)
            if substitute.country != loaded.member.country:
                return Result(Outcome.NOT_SAME_COUNTRY, loaded.meeting, loaded.invitation)
            if await tx.invitations.of(loaded.meeting.id, substitute_id) is not None:
                return Result(Outcome.ALREADY_INVITED, loaded.meeting, loaded.invitation)
            await invite_more(
                tx,
                loaded.meeting.id,
                MemberSelection(statuses=(MemberStatus.ACTIVE,), member_ids=(substitute.id,)),
                now,
                stands_in_for=loaded.member.id,
            )
            await tx.invitations.update(
                loaded.invitation.id,
                answer=Answer.NOT_ATTENDING.value,
                answered_at=now,
                needs_confirmation=False,
                substitute_id=substitute_id,
            )
            updated = await tx.invitations.get(loaded.invitation.id)
            await self.planner.replan_meeting(tx, loaded.meeting, now, loaded.member)
            await self.planner.replan_meeting(tx, loaded.meeting, now, substitute)
            await record(
                tx,
                now,
                Action.RSVP_SUBSTITUTE,
                "meeting",
                loaded.meeting.id,
                actor=telegram_user_id,
                subject=substitute.telegram_user_id,
                invitation=loaded.invitation.id,
                stands_in_for=loaded.member.id,
            )
            return Result(Outcome.SAVED, loaded.meeting, updated, loaded.member, substitute)

    async def request_link(self, invitation_id: int, telegram_user_id: int) -> Result:
        """Ask the secretariat (and the country's focal points) for a link for a new person."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            loaded = await self._load(tx, invitation_id, telegram_user_id, writing=True)
            if loaded.outcome is not Outcome.SAVED:
                return loaded
            assert loaded.member is not None and loaded.invitation is not None
            await tx.invitations.update(loaded.invitation.id, substitute_requested_at=now)
            await record(
                tx,
                now,
                Action.RSVP_LINK_REQUEST,
                "meeting",
                loaded.invitation.meeting_id,
                actor=telegram_user_id,
                subject=telegram_user_id,
                invitation=loaded.invitation.id,
            )
            ids = await tx.roles.holders(Role.ADMIN)
            ids += await tx.roles.holders(Role.FOCAL_POINT, loaded.member.country)
            notify = tuple(await tx.roles.recipients(ids))
            updated = await tx.invitations.get(loaded.invitation.id)
            return Result(Outcome.SAVED, loaded.meeting, updated, loaded.member, notify=notify)
