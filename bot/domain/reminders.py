"""Reminders and escalation: planned as rows, sent by one repeating sweep.

Every reminder is a row in `reminders`, planned when its reason appears (a request is
made, a member answers "I will attend", a deadline moves) and re-planned from the
current state whenever that changes. The sweep (run by one repeating job) does three
things, each safe with several bot processes on one PostgreSQL database:

1. creates the next occurrence of action-plan items whose latest deadline has passed
   (a conditional update: one process wins);
2. escalates requests whose deadline has passed with answers still owed: the focal points
   of the countries concerned (team chairs for a team), a digest to the secretariat, and,
   for action-plan obligations, a "past due" reminder some days later (a conditional
   update on `escalated_at`: one process wins);
3. hands the due reminder rows to the delivery worker: locked with SKIP LOCKED, marked
   queued and turned into `deliveries` rows in one transaction, so each is sent once.

A reminder missed by more than the grace period (the bot was down) is skipped and logged,
as is one whose deadline or meeting has already come.

Steps (bot.domain.models.ReminderStep) name what they are for, with the deadline or start as
a Unix time:
  before:<deadline>:<seconds>   before a response deadline (request or meeting RSVP)
  start:<start>:<seconds>       before a meeting, to those who said they come
  escalate:<deadline>           to focal points (or team chairs), at the deadline
  digest:<deadline>             to the secretariat, at the deadline
  overdue:<deadline>            to those who owe an obligation, `past_due_after` later
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from bot.domain.clock import Clock
from bot.domain.models import (
    Answer,
    Invitation,
    Meeting,
    MeetingStatus,
    Member,
    NoticeKind,
    Reminder,
    ReminderState,
    ReminderStep,
    ReminderSubject,
    Role,
    StepKind,
    SubjectKind,
)
from bot.domain.request_models import Party, PartyKind, Request, RequestStatus, Response
from bot.domain.schedule import QuietHours, is_day_off, place
from bot.i18n import zone
from storage.db import Database
from storage.reminders import PlacedStep
from storage.tx import Tx

logger = logging.getLogger(__name__)

BATCH = 500  # reminders handed over per transaction


@dataclass(frozen=True)
class ReminderConfig:
    deadline_offsets: tuple[int, ...] = (7 * 86400, 86400, 2 * 3600)
    meeting_offsets: tuple[int, ...] = (86400, 3600)
    quiet: QuietHours = field(default_factory=lambda: QuietHours(time(21), time(8)))
    skip_days_off: bool = False
    grace: timedelta = timedelta(hours=6)
    past_due_after: timedelta = timedelta(days=7)
    default_timezone: str = "Europe/Belgrade"


def request_subject(request_id: int) -> str:
    """The stored subject of a request's reminders."""
    return str(ReminderSubject.request(request_id))


def meeting_subject(meeting_id: int) -> str:
    """The stored subject of a meeting's reminders."""
    return str(ReminderSubject.meeting(meeting_id))


@dataclass(frozen=True)
class Addressee:
    """Whom a reminder goes to, with what placing it needs: their zone and country."""

    telegram_user_id: int
    timezone: str | None
    country: str | None

    @classmethod
    def of(cls, person: Any, country: str | None = None) -> Addressee:
        """From a Member, or a Recipient (a focal point of `country`, an admin)."""
        return cls(person.telegram_user_id, person.timezone, getattr(person, "country", country))


class Planner:
    """Turns "who owes what by when" into planned reminder rows, in recipients' local time."""

    def __init__(self, config: ReminderConfig) -> None:
        self.config = config

    def when(
        self,
        due: datetime,
        timezone: str | None,
        country: str | None,
        *,
        skip_days_off: bool | None,
        not_after: datetime | None,
        now: datetime,
    ) -> datetime | None:
        skip = self.config.skip_days_off if skip_days_off is None else skip_days_off
        day_off = (lambda day: is_day_off(day, country)) if skip else None
        tz = zone(timezone or self.config.default_timezone)
        return place(due, tz, self.config.quiet, day_off, not_after=not_after, not_before=now)

    def _row(
        self,
        subject: str,
        step: str,
        person: Addressee,
        due: datetime,
        now: datetime,
        *,
        response_id: int | None = None,
        skip_days_off: bool | None = None,
        not_after: datetime | None = None,
    ) -> dict[str, Any] | None:
        send_at = self.when(
            due,
            person.timezone,
            person.country,
            skip_days_off=skip_days_off,
            not_after=not_after,
            now=now,
        )
        if send_at is None:
            return None
        return {
            "subject": subject,
            "step": step,
            "telegram_user_id": person.telegram_user_id,
            "response_id": response_id,
            "due_at": due,
            "send_at": send_at,
        }

    async def plan_request(
        self, tx: Tx, request: Request, now: datetime, responses: list[Response] | None = None
    ) -> int:
        """Plan the reminders before the deadline for every answer still owed (or those in
        `responses`, one by one: a withdrawn or reopened answer); the ones already planned
        are kept."""
        if request.status is not RequestStatus.OPEN or request.deadline <= now:
            return 0
        if responses is None:
            return await self._plan_answerers(tx, request, now)
        owed = [r for r in responses if r.owed]
        answerers = await tx.audience.answerers([r.party for r in owed])
        offsets = (
            request.reminder_offsets
            if request.reminder_offsets is not None
            else self.config.deadline_offsets
        )
        subject = request_subject(request.id)
        rows = []
        for response in owed:
            for person in answerers.get(response.party, []):
                for offset in offsets:
                    due = request.deadline - timedelta(seconds=offset)
                    if due <= now:
                        continue
                    row = self._row(
                        subject,
                        str(ReminderStep(StepKind.BEFORE, request.deadline, offset)),
                        Addressee.of(person),
                        due,
                        now,
                        response_id=response.id,
                        skip_days_off=request.skip_days_off,
                        not_after=request.deadline,
                    )
                    if row is not None:
                        rows.append(row)
        return await tx.reminders.plan(rows, now)

    async def _plan_answerers(self, tx: Tx, request: Request, now: datetime) -> int:
        """plan_request for every answer still owed, set-based: the same rows, but each
        step's send time is worked out once per place (time zone, and country when days off
        are skipped) and the rows are inserted by the database from the owed responses
        joined to their answerers: a request to every country reaches 100,000, and neither
        they nor their responses are loaded."""
        offsets = (
            request.reminder_offsets
            if request.reminder_offsets is not None
            else self.config.deadline_offsets
        )
        steps = [o for o in offsets if request.deadline - timedelta(seconds=o) > now]
        if not steps:
            return 0
        skip = request.skip_days_off
        by_country = self.config.skip_days_off if skip is None else skip
        places = await tx.reminders.answerer_places(request.id, by_country=by_country)
        placed = []
        for offset in steps:
            due = request.deadline - timedelta(seconds=offset)
            send_at = {}
            for timezone, country in places:
                when = self.when(
                    due,
                    timezone,
                    country,
                    skip_days_off=skip,
                    not_after=request.deadline,
                    now=now,
                )
                if when is not None:
                    send_at[timezone, country] = when
            step = str(ReminderStep(StepKind.BEFORE, request.deadline, offset))
            placed.append(PlacedStep(step, due, send_at))
        return await tx.reminders.plan_answerers(
            request.id, subject=request_subject(request.id), steps=placed, now=now
        )

    async def replan_request(self, tx: Tx, request: Request, now: datetime) -> None:
        """After the deadline moved: forget what was planned for the old one, plan anew."""
        await tx.reminders.drop_planned(request_subject(request.id))
        await self.plan_request(tx, request, now)

    async def plan_meeting(
        self, tx: Tx, meeting: Meeting, now: datetime, member_ids: list[int] | None = None
    ) -> int:
        """RSVP reminders for invitees who have not answered (or must confirm again), and
        reminders before the meeting for those who said they come."""
        if meeting.status is MeetingStatus.CANCELLED:
            return 0
        if member_ids is None:
            return await self._plan_invitees(tx, meeting, now)
        invitations = await tx.invitations.of_members(meeting.id, member_ids)
        people = await tx.audience.answerers(str(Party.member(i.member_id)) for i in invitations)
        rows = [
            row
            for invitation in invitations
            for person in people.get(str(Party.member(invitation.member_id)), [])
            for row in self._invitation_rows(meeting, invitation, person, now)
        ]
        return await tx.reminders.plan(rows, now)

    def _invitation_rows(
        self, meeting: Meeting, invitation: Invitation, person: Member, now: datetime
    ) -> list[dict[str, Any]]:
        """The reminders of one invitation for the person who answers it."""
        # (cadence, step prefix, the moment reminded of) for who owes an answer / who comes
        owing = (self.config.deadline_offsets, StepKind.BEFORE, meeting.rsvp_deadline)
        cadence = meeting.reminder_offsets
        coming = (
            self.config.meeting_offsets if cadence is None else cadence,
            StepKind.START,
            meeting.starts_at,
        )
        kinds = []
        if invitation.answer is None or invitation.needs_confirmation:
            kinds.append(owing)
        if invitation.answer in (Answer.IN_PERSON, Answer.ONLINE):
            kinds.append(coming)
        rows = []
        for offsets, step_kind, moment in kinds:
            for offset in offsets:
                due = moment - timedelta(seconds=offset)
                if due > now:
                    row = self._row(
                        meeting_subject(meeting.id),
                        str(ReminderStep(step_kind, moment, offset)),
                        Addressee.of(person),
                        due,
                        now,
                        not_after=moment,
                    )
                    if row is not None:
                        rows.append(row)
        return rows

    async def _plan_invitees(self, tx: Tx, meeting: Meeting, now: datetime) -> int:
        """plan_meeting for every invitee, set-based: the same rows, but each step's send
        time is worked out once per place (time zone, and country when days off are
        skipped) and the rows are inserted by the database from the invitations, so the
        cost does not grow with the audience in Python and no invitee list is loaded."""
        subject = meeting_subject(meeting.id)
        cadence = meeting.reminder_offsets
        coming_answers = [Answer.IN_PERSON.value, Answer.ONLINE.value]
        kinds = (
            # (who: owing an answer / answers given, cadence, step prefix, the moment)
            ((True, ()), self.config.deadline_offsets, StepKind.BEFORE, meeting.rsvp_deadline),
            (
                (False, coming_answers),
                self.config.meeting_offsets if cadence is None else cadence,
                StepKind.START,
                meeting.starts_at,
            ),
        )
        by_country = self.config.skip_days_off
        planned = 0
        for (owing, answers), offsets, step_kind, moment in kinds:
            steps = [o for o in offsets if moment - timedelta(seconds=o) > now]
            if not steps:
                continue
            places = await tx.reminders.invitee_places(
                meeting.id, owing=owing, answers=answers, by_country=by_country
            )
            for offset in steps:
                due = moment - timedelta(seconds=offset)
                send_at = {}
                for timezone, country in places:
                    when = self.when(
                        due, timezone, country, skip_days_off=None, not_after=moment, now=now
                    )
                    if when is not None:
                        send_at[timezone, country] = when
                planned += await tx.reminders.plan_invitees(
                    meeting.id,
                    owing=owing,
                    answers=answers,
                    subject=subject,
                    step=str(ReminderStep(step_kind, moment, offset)),
                    due_at=due,
                    send_at=send_at,
                    now=now,
                )
        return planned

    async def replan_meeting(
        self, tx: Tx, meeting: Meeting, now: datetime, member: Member | None = None
    ) -> None:
        """Re-plan from the current answers: everyone's, or one member's after they answered."""
        users = [member.telegram_user_id] if member is not None else None
        await tx.reminders.drop_planned(meeting_subject(meeting.id), users=users)
        await self.plan_meeting(tx, meeting, now, [member.id] if member is not None else None)

    async def replan_answer(
        self, tx: Tx, meeting: Meeting, invitation: Invitation, member: Member, now: datetime
    ) -> None:
        """replan_meeting for one member who just answered, from the invitation and member
        the press already holds (an active member answers their own invitation): two reads
        fewer on every press."""
        await tx.reminders.drop_planned(
            meeting_subject(meeting.id), users=[member.telegram_user_id]
        )
        if meeting.status is not MeetingStatus.CANCELLED:
            await tx.reminders.plan(self._invitation_rows(meeting, invitation, member, now), now)

    async def escalate(self, tx: Tx, request: Request, now: datetime) -> int:
        """At the deadline: plan the escalations, the digest and the past-due reminders for
        what is still owed. Called once per request (see Reminders.sweep)."""
        subject = request_subject(request.id)
        await tx.reminders.drop_planned(subject, step_prefixes=[f"{StepKind.BEFORE.value}:"])
        owed = [r for r in await tx.responses.of_requests([request.id]) if r.owed]
        if not owed:
            return 0
        rows: list[dict[str, Any] | None] = []
        escalate = str(ReminderStep(StepKind.ESCALATE, request.deadline))
        digest = str(ReminderStep(StepKind.DIGEST, request.deadline))
        escalate_to: dict[int, Addressee] = {}
        for response in owed:
            party = Party.stored(response.party)
            if party.kind is PartyKind.TEAM:
                for chair in await tx.teams.chairs(party.id):
                    escalate_to.setdefault(chair.telegram_user_id, Addressee.of(chair))
                continue
            country = party.key
            if party.kind is PartyKind.MEMBER:
                member = await tx.members.get(party.id)
                if member is None:
                    continue
                country = member.country
            for recipient in await tx.audience.focal_points([country]):
                escalate_to.setdefault(recipient.telegram_user_id, Addressee.of(recipient, country))
        for person in escalate_to.values():
            rows.append(self._row(subject, escalate, person, now, now))
        for recipient in await tx.roles.recipients(await tx.roles.holders(Role.ADMIN)):
            rows.append(self._row(subject, digest, Addressee.of(recipient), now, now))
        if request.item_id is not None:
            answerers = await tx.audience.answerers([r.party for r in owed])
            due = request.deadline + self.config.past_due_after
            for response in owed:
                for member in answerers.get(response.party, []):
                    rows.append(
                        self._row(
                            subject,
                            str(ReminderStep(StepKind.OVERDUE, request.deadline)),
                            Addressee.of(member),
                            max(due, now),
                            now,
                            response_id=response.id,
                            skip_days_off=request.skip_days_off,
                        )
                    )
        return await tx.reminders.plan([r for r in rows if r is not None], now)


@dataclass
class SweepReport:
    occurrences: int = 0
    escalated: int = 0
    queued: int = 0
    skipped: int = 0
    notices: set[int] = field(default_factory=set)


class Reminders:
    def __init__(self, db: Database, clock: Clock, planner: Planner, plans: Any) -> None:
        self.db = db
        self.clock = clock
        self.planner = planner
        self.plans = plans  # bot.domain.plans.Plans: creates the next occurrences

    async def sweep(self) -> SweepReport:
        now = self.clock.now()
        report = SweepReport()
        report.occurrences = await self.plans.advance(now)
        async with self.db.transaction() as tx:
            due = await tx.requests.escalation_due(now)
        for request_id in due:
            async with self.db.transaction() as tx:
                if not await tx.requests.claim_escalation(request_id, now):
                    continue  # another process did it
                request = await tx.requests.get(request_id)
                assert request is not None
                await self.planner.escalate(tx, request, now)
                report.escalated += 1
        while True:
            async with self.db.transaction() as tx:
                batch = await tx.reminders.claim_due(now, BATCH)
                if batch:
                    await self._hand_over(tx, batch, now, report)
            if len(batch) < BATCH:
                break
        return report

    async def _hand_over(
        self, tx: Tx, batch: list[Reminder], now: datetime, report: SweepReport
    ) -> None:
        grace = self.planner.config.grace
        skipped: list[int] = []
        to_send: list[Reminder] = []
        for reminder in batch:
            when = ReminderStep.stored(reminder.step)
            if now - reminder.send_at > grace:
                logger.warning(
                    "Skipped reminder %s (%s %s): due %s, more than %s ago",
                    reminder.id,
                    reminder.subject,
                    reminder.step,
                    reminder.send_at.isoformat(),
                    grace,
                )
                skipped.append(reminder.id)
            elif when.kind in (StepKind.BEFORE, StepKind.START) and now >= when.moment:
                logger.info(
                    "Skipped reminder %s (%s %s): its moment has passed",
                    reminder.id,
                    reminder.subject,
                    reminder.step,
                )
                skipped.append(reminder.id)
            else:
                to_send.append(reminder)
        report.skipped += await tx.reminders.mark(skipped, ReminderState.SKIPPED, now)
        await tx.reminders.mark([r.id for r in to_send], ReminderState.QUEUED, now)
        people = await tx.audience.people(r.telegram_user_id for r in to_send)
        by_topic: dict[tuple[str, str], list[tuple[int, int]]] = {}
        for reminder in to_send:
            chat_id = people.get(reminder.telegram_user_id, (None, None))[0]
            if chat_id is None:
                continue
            by_topic.setdefault((reminder.subject, reminder.step), []).append(
                (reminder.telegram_user_id, chat_id)
            )
        for (subject, step), recipients in by_topic.items():
            about = ReminderSubject.stored(subject)
            notice_id = await tx.notices.for_topic(
                f"{subject}|{step}",
                kind=NoticeKind.REMINDER,
                now=now,
                meeting_id=about.id if about.kind is SubjectKind.MEETING else None,
                request_id=about.id if about.kind is SubjectKind.REQUEST else None,
                changes={"subject": subject, "step": step},
            )
            await tx.deliveries.add_many(notice_id, recipients, now)
            await tx.notices.reopen(notice_id)
            report.notices.add(notice_id)
            report.queued += len(recipients)


# -- still due? ----------------------------------------------------------------------------
# A reminder's text is made when it is sent, from the current state; these say whether it is
# still worth sending at that moment (handlers/reminders.py renders only those that are).


def request_reminder_due(response: Response, deadline: datetime, planned_for: datetime) -> bool:
    """A reminder before or after a request's deadline: the party still owes the answer, and
    the deadline is the one the reminder was planned for (a moved deadline has newer ones)."""
    return response.owed and int(deadline.timestamp()) == int(planned_for.timestamp())


def meeting_reminder_due(step_kind: StepKind, invitation: Invitation) -> bool:
    """Before the RSVP deadline: while the invitation is unanswered or its answer must be
    confirmed again. Before the meeting: only for those who said they will attend."""
    if step_kind is StepKind.BEFORE:
        return invitation.answer is None or invitation.needs_confirmation
    return invitation.answer in (Answer.IN_PERSON, Answer.ONLINE)
