"""Meetings: what the secretariat announces, who is invited, what changes tell them.

A meeting is announced in one go: the record, an invitation per invited member, and an
invitation notice queued for each of them (the delivery worker sends it). Editing the
date, time or place queues an update notice; a change of calendar date also asks
everyone who answered to confirm again. Cancelling queues a cancellation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any

from bot.config import is_valid_timezone
from bot.domain.audit import Action, record
from bot.domain.clock import Clock
from bot.domain.countries import normalize_country
from bot.domain.models import (
    Audience,
    Meeting,
    MeetingMode,
    MeetingStatus,
    MeetingText,
    NoticeKind,
    TeamRole,
)
from bot.domain.notices import (
    REACHED,
    NoticeError,
    NoticeProblem,
    add_selected,
    queue_notice,
    select_members,
)
from bot.domain.notices import check_audience as check_notice_audience
from bot.domain.reminders import Planner, meeting_subject
from bot.domain.values import clean_text
from bot.i18n import SUPPORTED_LOCALES, zone
from storage.db import Database
from storage.rows import MemberSelection
from storage.tx import Tx

MIN_TITLE = 2
MAX_TITLE = 300
MAX_TEXT = 3000  # a Telegram message holds 4096 characters; the rest of the card needs room
MAX_PLACE = 300

# Typed dates: ISO ("2026-12-10 09:30") or the region's day-first style ("10.12.2026 9:30").
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2})[:.](\d{2}))?$")
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})\.?(?:\s+(\d{1,2})[:.](\d{2}))?$")


def parse_local_datetime(text: str, timezone: str, *, end_of_day: bool = False) -> datetime | None:
    """A typed date and time, read in `timezone`, as aware UTC; None if it is not one.

    Without a time, `end_of_day` gives 23:59 (a deadline "by 10 September" means the whole
    day); otherwise a time is required.
    """
    text = " ".join(text.strip().split())
    match = _ISO.match(text)
    if match:
        year, month, day, hour, minute = match.groups()
    else:
        match = _DOTTED.match(text)
        if not match:
            return None
        day, month, year, hour, minute = match.groups()
    if hour is None:
        if not end_of_day:
            return None
        hour, minute = "23", "59"
    try:
        local = datetime(int(year), int(month), int(day), int(hour), int(minute))
    except ValueError:
        return None
    tz = zone(timezone)
    aware = local.replace(tzinfo=tz)
    # A wall time that does not exist (skipped by a DST change) is refused, not shifted.
    if aware.astimezone(tz).replace(tzinfo=None) != local:
        return None
    return aware.astimezone(zone("UTC"))


class Problem(StrEnum):
    TITLE = "title"
    TEXT_TOO_LONG = "text_too_long"
    START = "start"
    START_PAST = "start_past"
    END_BEFORE_START = "end_before_start"
    TIMEZONE = "timezone"
    PLACE_MISSING = "place_missing"
    LINK = "link"
    COUNTRY = "country"
    AUDIENCE_EMPTY = "audience_empty"
    UNKNOWN_TEAM = "unknown_team"
    UNKNOWN_MEMBER = "unknown_member"
    DEADLINE_PAST = "deadline_past"
    DEADLINE_AFTER_START = "deadline_after_start"
    LOCALE = "locale"
    CANCELLED = "cancelled"
    NOT_FOUND = "not_found"


class MeetingError(ValueError):
    def __init__(self, problem: Problem, value: str = "") -> None:
        self.problem = problem
        self.value = value
        super().__init__(f"{problem.value}: {value}")


@dataclass(frozen=True)
class MeetingSpec:
    """A meeting as written by the secretariat, before it is checked and stored."""

    title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    mode: MeetingMode
    rsvp_deadline: datetime
    audience: Audience
    description: str = ""
    agenda: str = ""
    ref_locale: str = "en"
    translations: dict[str, MeetingText] = field(default_factory=dict)
    venue: str | None = None
    city: str | None = None
    host_country: str | None = None
    online_url: str | None = None
    tentative: bool = False
    ask_comment: bool = False
    # Reminders before the meeting; None: the global cadence (an edit keeps the meeting's).
    reminder_offsets: tuple[int, ...] | None = None


# What an update reports when it changes, in this order.
NOTIFIED_FIELDS = ("starts_at", "ends_at", "mode", "venue", "city", "host_country", "online_url")


def clean(text: str | None) -> str | None:
    if text is None:
        return None
    value = clean_text(text).strip()
    return value or None


async def check_spec(tx: Tx, spec: MeetingSpec, now: datetime, *, is_new: bool) -> MeetingSpec:
    """Raise MeetingError for the first problem; return the spec normalised."""
    spec = replace(spec, description=clean_text(spec.description), agenda=clean_text(spec.agenda))
    title = " ".join(clean_text(spec.title).split())
    if not MIN_TITLE <= len(title) <= MAX_TITLE:
        raise MeetingError(Problem.TITLE, title)
    for text in (spec.description, spec.agenda):
        if len(text) > MAX_TEXT:
            raise MeetingError(Problem.TEXT_TOO_LONG, str(MAX_TEXT))
    if not is_valid_timezone(spec.timezone):
        raise MeetingError(Problem.TIMEZONE, spec.timezone)
    if is_new and spec.starts_at <= now:
        raise MeetingError(Problem.START_PAST)
    if spec.ends_at <= spec.starts_at:
        raise MeetingError(Problem.END_BEFORE_START)
    if spec.rsvp_deadline > spec.starts_at:
        raise MeetingError(Problem.DEADLINE_AFTER_START)
    if is_new and spec.rsvp_deadline <= now:
        raise MeetingError(Problem.DEADLINE_PAST)
    venue, city, online_url = clean(spec.venue), clean(spec.city), clean(spec.online_url)
    host_country = None
    if spec.host_country:
        host_country = normalize_country(spec.host_country)
        if host_country is None:
            raise MeetingError(Problem.COUNTRY, spec.host_country)
    if spec.mode in (MeetingMode.IN_PERSON, MeetingMode.HYBRID):
        if not (venue or city):
            raise MeetingError(Problem.PLACE_MISSING)
    else:
        venue = city = host_country = None
    if spec.mode in (MeetingMode.ONLINE, MeetingMode.HYBRID):
        if not online_url or not re.match(r"^https?://\S+$", online_url):
            raise MeetingError(Problem.LINK, online_url or "")
    else:
        online_url = None
    for value in (venue, city, online_url):
        if value and len(value) > MAX_PLACE:
            raise MeetingError(Problem.TEXT_TOO_LONG, str(MAX_PLACE))
    for locale in [spec.ref_locale, *spec.translations]:
        if locale not in SUPPORTED_LOCALES:
            raise MeetingError(Problem.LOCALE, locale)
    audience = await check_audience(tx, spec.audience)
    return replace(
        spec,
        title=title,
        description=spec.description.strip(),
        agenda=spec.agenda.strip(),
        venue=venue,
        city=city,
        host_country=host_country,
        online_url=online_url,
        audience=audience,
    )


# How an audience problem reads for a meeting.
_AUDIENCE_PROBLEMS = {
    NoticeProblem.UNKNOWN_TEAM: Problem.UNKNOWN_TEAM,
    NoticeProblem.COUNTRY: Problem.COUNTRY,
    NoticeProblem.UNKNOWN_MEMBER: Problem.UNKNOWN_MEMBER,
}


async def check_audience(tx: Tx, audience: Audience) -> Audience:
    """The notices' audience check, narrowed: meetings invite members, so team roles may
    narrow the audience, but focal points (who need not be members) and another meeting's
    invitees cannot be invited this way."""
    team_roles = {role.value for role in TeamRole}
    if audience.meeting is not None or any(r not in team_roles for r in audience.roles):
        raise MeetingError(Problem.AUDIENCE_EMPTY)
    try:
        return await check_notice_audience(tx, audience)
    except NoticeError as error:
        raise MeetingError(
            _AUDIENCE_PROBLEMS.get(error.problem, Problem.AUDIENCE_EMPTY), error.value
        ) from None


def date_moved(old: Meeting | MeetingSpec, new: Meeting | MeetingSpec) -> bool:
    """Did the calendar day of the start or the end change (in the meeting's zone)?"""

    def days(m: Meeting | MeetingSpec) -> tuple[Any, Any]:
        tz = zone(m.timezone)
        return m.starts_at.astimezone(tz).date(), m.ends_at.astimezone(tz).date()

    return days(old) != days(new)


def _serialise(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    return value


@dataclass(frozen=True)
class Announced:
    meeting: Meeting
    notice_id: int | None
    invited: int
    changes: dict[str, Any] = field(default_factory=dict)


class Meetings:
    def __init__(self, db: Database, clock: Clock, planner: Planner) -> None:
        self.db = db
        self.clock = clock
        self.planner = planner  # reminders before the RSVP deadline and the meeting

    async def announce(
        self, spec: MeetingSpec, *, created_by: int | None, progress_chat_id: int | None = None
    ) -> Announced:
        """Store the meeting, invite its audience, and queue the invitation notice."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            spec = await check_spec(tx, spec, now, is_new=True)
            draft = meeting_from_spec(spec, now, created_by=created_by)
            meeting_id = await tx.meetings.create(draft, now)
            meeting = replace(draft, id=meeting_id)
            audience = await select_members(tx, spec.audience)
            invited = await tx.invitations.add_selected(meeting_id, audience, now)
            notice_id = await queue_notice(
                tx,
                now,
                audience,
                kind=NoticeKind.INVITATION,
                meeting_id=meeting_id,
                audience=spec.audience,
                created_by=created_by,
                progress_chat_id=progress_chat_id,
            )
            await self.planner.plan_meeting(tx, meeting, now)
            await record(
                tx,
                now,
                Action.MEETING_CREATE,
                "meeting",
                meeting_id,
                actor=created_by,
                notice=notice_id,
                invited=invited,
            )
        return Announced(meeting, notice_id, invited)

    async def get(self, meeting_id: int) -> Meeting | None:
        async with self.db.transaction() as tx:
            return await tx.meetings.get(meeting_id)

    async def listing(self, *, upcoming: bool = True) -> list[Meeting]:
        async with self.db.transaction() as tx:
            return await tx.meetings.listing(ending_after=self.clock.now() if upcoming else None)

    async def edit(
        self,
        meeting_id: int,
        spec: MeetingSpec,
        *,
        edited_by: int | None,
        progress_chat_id: int | None = None,
    ) -> Announced:
        """Save changes; tell every invitee what changed in date, time or place.

        New teams, countries or members in the audience are invited (they receive the
        invitation); nobody already invited is dropped, since they may have answered and
        made travel plans; a member no longer meant to come is told by the secretariat.
        """
        now = self.clock.now()
        async with self.db.transaction() as tx:
            old = await _open_for_change(tx, meeting_id)
            spec = await check_spec(tx, spec, now, is_new=False)
            reconfirm = date_moved(old, spec)
            meeting = replace(
                old,
                date_version=old.date_version + (1 if reconfirm else 0),
                reminder_offsets=(
                    old.reminder_offsets if spec.reminder_offsets is None else spec.reminder_offsets
                ),
                **_spec_fields(spec),
            )
            await tx.meetings.save(meeting, now)
            changes = {
                name: [_serialise(getattr(old, name)), _serialise(getattr(meeting, name))]
                for name in NOTIFIED_FIELDS
                if getattr(old, name) != getattr(meeting, name)
            }
            if reconfirm:
                await tx.invitations.ask_reconfirmation(meeting_id)
            else:
                # An answer the meeting no longer offers (online, after it went in-person
                # only) must be given again too.
                await tx.invitations.ask_reconfirmation(
                    meeting_id, unless=[answer.value for answer in meeting.answers]
                )
            notice_id = None
            if changes:
                notice_id = await queue_notice(
                    tx,
                    now,
                    _invitees(meeting_id),
                    kind=NoticeKind.UPDATE,
                    meeting_id=meeting_id,
                    changes={"fields": changes, "reconfirm": reconfirm},
                    created_by=edited_by,
                    progress_chat_id=progress_chat_id,
                )
            # Newly added audience: invite them, with the invitation notice.
            audience = await select_members(tx, spec.audience)
            newcomers = await invite_more(
                tx, meeting_id, replace(audience, not_invited_to=meeting_id), now
            )
            await self.planner.replan_meeting(tx, meeting, now)
            await record(
                tx,
                now,
                Action.MEETING_EDIT,
                "meeting",
                meeting_id,
                actor=edited_by,
                fields=sorted(changes),
                notice=notice_id,
                reconfirm=reconfirm,
                newly_invited=newcomers,
            )
        return Announced(meeting, notice_id, newcomers, changes)

    async def cancel(
        self, meeting_id: int, *, cancelled_by: int | None, progress_chat_id: int | None = None
    ) -> Announced:
        now = self.clock.now()
        async with self.db.transaction() as tx:
            meeting = await _open_for_change(tx, meeting_id)
            meeting = replace(meeting, status=MeetingStatus.CANCELLED)
            await tx.meetings.save(meeting, now)
            everyone = _invitees(meeting_id)
            told = await tx.audience.count(everyone)
            notice_id = await queue_notice(
                tx,
                now,
                everyone,
                kind=NoticeKind.CANCELLATION,
                meeting_id=meeting_id,
                created_by=cancelled_by,
                progress_chat_id=progress_chat_id,
            )
            await tx.reminders.drop_planned(meeting_subject(meeting_id))
            await record(
                tx,
                now,
                Action.MEETING_CANCEL,
                "meeting",
                meeting_id,
                actor=cancelled_by,
                notice=notice_id,
            )
        return Announced(meeting, notice_id, told)


async def _open_for_change(tx: Tx, meeting_id: int) -> Meeting:
    """The meeting, locked for this transaction; MeetingError if gone or cancelled."""
    meeting = await tx.meetings.get(meeting_id, lock=True)
    if meeting is None:
        raise MeetingError(Problem.NOT_FOUND, str(meeting_id))
    if meeting.status is MeetingStatus.CANCELLED:
        raise MeetingError(Problem.CANCELLED, str(meeting_id))
    return meeting


def _spec_fields(spec: MeetingSpec) -> dict[str, Any]:
    return {
        "title": spec.title,
        "description": spec.description,
        "agenda": spec.agenda,
        "ref_locale": spec.ref_locale,
        "translations": dict(spec.translations),
        "starts_at": spec.starts_at,
        "ends_at": spec.ends_at,
        "timezone": spec.timezone,
        "mode": spec.mode,
        "venue": spec.venue,
        "city": spec.city,
        "host_country": spec.host_country,
        "online_url": spec.online_url,
        "audience": spec.audience,
        "rsvp_deadline": spec.rsvp_deadline,
        "tentative": spec.tentative,
        "ask_comment": spec.ask_comment,
    }


def _invitees(meeting_id: int) -> MemberSelection:
    """The invitees an update or cancellation is for: members still active (or blocked, to
    record them as unreachable); not those whose access was withdrawn."""
    return MemberSelection(statuses=REACHED, invited_to=meeting_id)


def meeting_from_spec(
    spec: MeetingSpec, now: datetime, *, meeting_id: int = 0, created_by: int | None = None
) -> Meeting:
    """A meeting record for a spec not stored yet (to store it, or to preview it)."""
    return Meeting(
        id=meeting_id,
        status=MeetingStatus.ANNOUNCED,
        date_version=1,
        created_by=created_by,
        created_at=now,
        updated_at=now,
        reminder_offsets=spec.reminder_offsets,
        **_spec_fields(spec),
    )


async def invite_more(
    tx: Tx,
    meeting_id: int,
    selection: MemberSelection,
    now: datetime,
    *,
    stands_in_for: int | None = None,
) -> int:
    """Invite members to a meeting announced already (a substitute, a widened audience):
    their invitations, and the meeting's invitation notice queued for them. `selection`
    leaves out those invited already; returns how many were invited."""
    notices = await tx.notices.of_meeting(meeting_id)
    invitation_notice = next((n for n in notices if n.kind is NoticeKind.INVITATION), None)
    # The notice first: once invited, the newcomers are no longer in the selection.
    if invitation_notice is not None:
        await add_selected(tx, invitation_notice.id, selection, now)
    return await tx.invitations.add_selected(meeting_id, selection, now, stands_in_for)


def default_deadline(starts_at: datetime, timezone: str) -> datetime:
    """Seven days before the start, at the end of that day: the usual lead time."""
    tz = zone(timezone)
    day = (starts_at.astimezone(tz) - timedelta(days=7)).date()
    return datetime.combine(day, time(23, 59), tz).astimezone(zone("UTC"))
