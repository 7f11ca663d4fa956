"""Notices and their recipients: who an audience reaches, and the delivery queue.

Every send is a row in `deliveries` (see storage/schema.py); the delivery worker drains
them. Creating a notice and queueing all its rows is one transaction, so a notice is
either queued for everyone or for no one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.domain.audit import Action, record
from bot.domain.clock import Clock
from bot.domain.countries import normalize_country
from bot.domain.models import (
    Account,
    Audience,
    Delivery,
    DeliveryCounts,
    Invitation,
    Meeting,
    MemberStatus,
    Notice,
    NoticeKind,
    Role,
    TeamRole,
)
from bot.domain.values import clean_text, parse_id
from bot.i18n import SUPPORTED_LOCALES
from storage.db import Database
from storage.rows import MemberSelection
from storage.tx import Tx

MAX_BODY = 3500  # leaves room in Telegram's 4096 characters for the heading and marker
FOCAL_POINT_ROLE = "focal_point"
AUDIENCE_ROLES = (*[role.value for role in TeamRole], FOCAL_POINT_ROLE)


class NoticeProblem(StrEnum):
    EMPTY = "empty"
    TOO_LONG = "too_long"
    AUDIENCE_EMPTY = "audience_empty"
    UNKNOWN_TEAM = "unknown_team"
    COUNTRY = "country"
    ROLE = "role"
    LOCALE = "locale"
    NOBODY = "nobody"
    UNKNOWN_MEETING = "unknown_meeting"
    UNKNOWN_MEMBER = "unknown_member"


class NoticeError(ValueError):
    def __init__(self, problem: NoticeProblem, value: str = "") -> None:
        self.problem = problem
        self.value = value
        super().__init__(f"{problem.value}: {value}")


REACHED = (MemberStatus.ACTIVE, MemberStatus.UNREACHABLE)


async def select_members(tx: Tx, audience: Audience) -> MemberSelection:
    """The members an audience reaches: active ones, and unreachable ones (to record them).

    Teams, countries and named members add up (a union); roles narrow it down to the
    members holding that role in a team (in the named teams, if any). Everyone means
    every active member.

    Returned as a selection the database resolves (storage/rows.py MemberSelection): a
    broadcast to 100,000 is queued without loading them.
    """
    team_roles = tuple(r for r in audience.roles if r != FOCAL_POINT_ROLE)
    invited = audience.meeting is not None and await tx.invitations.any(audience.meeting)
    # Roles alone ("all chairs") select; with other parts they narrow.
    only_roles = not (audience.teams or audience.countries or audience.members or invited)
    return MemberSelection(
        statuses=REACHED,
        everyone=audience.everyone,
        teams=audience.teams,
        countries=audience.countries,
        member_ids=audience.members,
        invited_to=audience.meeting if invited else None,
        team_roles=team_roles,
        roles_alone=only_roles or audience.everyone,
    )


async def add_selected(tx: Tx, notice_id: int, selection: MemberSelection, now: datetime) -> int:
    """Queue the notice for the members `selection` picks, in the database; returns how many
    rows were new."""
    added = await tx.deliveries.add_selected(notice_id, selection, now)
    await _unreachable(
        tx, notice_id, await tx.deliveries.mark_blocked(notice_id, selection=selection), now
    )
    await tx.notices.reopen(notice_id)
    return added


async def _queue(tx: Tx, notice_id: int, rows: list[tuple[int, int, bool]], now: datetime) -> None:
    await tx.deliveries.add_many(notice_id, [(user, chat) for user, chat, _ in rows], now)
    blocked = [user for user, _, reachable in rows if not reachable]
    if blocked:
        await _unreachable(
            tx, notice_id, await tx.deliveries.mark_blocked(notice_id, users=blocked), now
        )
    await tx.notices.reopen(notice_id)


async def _unreachable(
    tx: Tx, notice_id: int, marked: list[tuple[int, int]], now: datetime
) -> None:
    # A member known to have blocked the bot is recorded as unreachable at once instead of
    # spending a send on a certain 403; unblocking makes them active again (reachability).
    # Only their rows are read back (storage marks them), never the whole notice's.
    for delivery_id, telegram_user_id in marked:
        await record(
            tx,
            now,
            Action.DELIVERY_UNREACHABLE,
            "notice",
            notice_id,
            subject=telegram_user_id,
            delivery=delivery_id,
            error="blocked",
        )


async def queue_notice(
    tx: Tx,
    now: datetime,
    selection: MemberSelection,
    *,
    kind: NoticeKind,
    meeting_id: int | None = None,
    audience: Audience | None = None,
    changes: dict[str, Any] | None = None,
    created_by: int | None = None,
    progress_chat_id: int | None = None,
) -> int:
    """Create a meeting notice and queue it for the members `selection` picks."""
    notice_id = await tx.notices.create(
        kind=kind,
        now=now,
        meeting_id=meeting_id,
        audience=audience,
        changes=changes,
        created_by=created_by,
        progress_chat_id=progress_chat_id,
    )
    await add_selected(tx, notice_id, selection, now)
    return notice_id


@dataclass(frozen=True)
class AnnouncementSpec:
    body: str
    audience: Audience
    ref_locale: str = "en"
    translations: dict[str, str] | None = None
    document_file_id: str | None = None
    document_name: str | None = None
    document_path: str | None = None
    ack_required: bool = False
    restricted: bool = False


@dataclass(frozen=True)
class RecipientView:
    """What one delivery shows its recipient: the notice, and their side of its meeting."""

    notice: Notice
    account: Account | None
    meeting: Meeting | None
    invitation: Invitation | None


@dataclass(frozen=True)
class Progress:
    notice: Notice
    counts: DeliveryCounts


@dataclass(frozen=True)
class Outcome:
    """How a finished notice ended, for the report to its sender: who it did not reach, and
    Telegram's reasons for the failed ones (reason → how many)."""

    notice: Notice
    counts: DeliveryCounts
    reasons: dict[str, int]


class Notices:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def check_audience(self, audience: Audience) -> Audience:
        async with self.db.transaction() as tx:
            return await check_audience(tx, audience)

    async def count_members(self, audience: Audience) -> int:
        """How many members an audience reaches now (0 if it names unknown teams)."""
        async with self.db.transaction() as tx:
            try:
                audience = await check_audience(tx, audience)
            except NoticeError:
                return 0
            if audience.is_empty:
                return 0
            return await tx.audience.count(await select_members(tx, audience))

    async def announce(
        self, spec: AnnouncementSpec, *, created_by: int | None, progress_chat_id: int | None
    ) -> tuple[int, int]:
        """Queue an announcement; returns (notice id, number of recipients)."""
        body = clean_text(spec.body).strip()
        if not body:
            raise NoticeError(NoticeProblem.EMPTY)
        for text in [body, *(spec.translations or {}).values()]:
            if len(text) > MAX_BODY:
                raise NoticeError(NoticeProblem.TOO_LONG, str(MAX_BODY))
        for locale in [spec.ref_locale, *(spec.translations or {})]:
            if locale not in SUPPORTED_LOCALES:
                raise NoticeError(NoticeProblem.LOCALE, locale)
        now = self.clock.now()
        async with self.db.transaction() as tx:
            audience = await check_audience(tx, spec.audience)
            selection = await select_members(tx, audience)
            focal_points = []
            if FOCAL_POINT_ROLE in audience.roles:
                focal_points = await tx.audience.focal_points(audience.countries)
            if not focal_points and not await tx.audience.count(selection, with_chat=True):
                raise NoticeError(NoticeProblem.NOBODY)
            notice_id = await tx.notices.create(
                kind=NoticeKind.ANNOUNCEMENT,
                now=now,
                meeting_id=audience.meeting,
                body=body,
                ref_locale=spec.ref_locale,
                translations=spec.translations,
                audience=audience,
                document_file_id=spec.document_file_id,
                document_name=spec.document_name,
                document_path=spec.document_path,
                ack_required=spec.ack_required,
                restricted=spec.restricted,
                created_by=created_by,
                progress_chat_id=progress_chat_id,
            )
            # Members first: a focal point who is one of them is queued once, as the member
            # (a blocked one recorded unreachable).
            await add_selected(tx, notice_id, selection, now)
            await _queue(
                tx, notice_id, [(r.telegram_user_id, r.chat_id, True) for r in focal_points], now
            )
            recipients = await tx.deliveries.total(notice_id)
            await record(
                tx,
                now,
                Action.NOTICE_CREATE,
                "notice",
                notice_id,
                actor=created_by,
                kind=NoticeKind.ANNOUNCEMENT.value,
                recipients=recipients,
                audience=audience.as_json(),
                ack=spec.ack_required,
                restricted=spec.restricted,
                document=bool(spec.document_file_id or spec.document_path),
            )
        return notice_id, recipients

    async def get(self, notice_id: int) -> Notice | None:
        async with self.db.transaction() as tx:
            return await tx.notices.get(notice_id)

    async def recipient_view(self, delivery: Delivery) -> RecipientView | None:
        """None when there is nothing to send any more: the notice or meeting is gone, or the
        recipient's access was withdrawn after the notice was queued."""
        async with self.db.transaction() as tx:
            notice = await tx.notices.get(delivery.notice_id)
            if notice is None:
                return None
            account = await tx.accounts.get(delivery.telegram_user_id)
            member = await tx.members.by_telegram_id(delivery.telegram_user_id)
            if member is not None and member.status is MemberStatus.REVOKED:
                return None
            if notice.meeting_id is None:
                return RecipientView(notice, account, None, None)
            meeting = await tx.meetings.get(notice.meeting_id)
            if meeting is None or member is None:
                return None
            invitation = await tx.invitations.of(meeting.id, member.id)
            return RecipientView(notice, account, meeting, invitation)

    async def set_progress_message(self, notice_id: int, chat_id: int, message_id: int) -> None:
        async with self.db.transaction() as tx:
            await tx.notices.update(
                notice_id, progress_chat_id=chat_id, progress_message_id=message_id
            )

    async def acknowledge(self, delivery_id: int, telegram_user_id: int) -> Delivery | None:
        """Record that the recipient confirmed receipt; None if the button is not theirs."""
        async with self.db.transaction() as tx:
            delivery = await tx.deliveries.get(delivery_id)
            if delivery is None or delivery.telegram_user_id != telegram_user_id:
                return None
            notice = await tx.notices.get(delivery.notice_id)
            if notice is None or not notice.ack_required:
                return None
            if await tx.deliveries.acknowledge(delivery_id, self.clock.now()):
                await record(
                    tx,
                    self.clock.now(),
                    Action.DELIVERY_ACK,
                    "notice",
                    notice.id,
                    actor=telegram_user_id,
                    subject=telegram_user_id,
                    delivery=delivery_id,
                )
            return await tx.deliveries.get(delivery_id)

    async def in_progress(self) -> list[Progress]:
        async with self.db.transaction() as tx:
            return [
                Progress(notice, await tx.deliveries.counts([notice.id]))
                for notice in await tx.notices.sending()
            ]

    async def finish(self, notice_id: int) -> bool:
        async with self.db.transaction() as tx:
            return await tx.notices.finish(notice_id, self.clock.now())

    async def counts(self, notice_id: int) -> DeliveryCounts:
        async with self.db.transaction() as tx:
            return await tx.deliveries.counts([notice_id])

    async def outcome(self, notice_id: int) -> Outcome | None:
        async with self.db.transaction() as tx:
            notice = await tx.notices.get(notice_id)
            if notice is None:
                return None
            counts = await tx.deliveries.counts([notice_id])
            reasons = await tx.deliveries.failure_reasons(notice_id) if counts.failed else {}
            return Outcome(notice, counts, reasons)

    async def queue_failure_report(self, notice_id: int) -> int | None:
        """Once a notice has finished with failed deliveries, queue a report of them to its
        sender (to the secretariat's admins for a notice without one: queued from the
        command line, or a reminder). Queued like any notice, so that Telegram being away at
        that moment loses nothing; its topic makes it once per notice, whatever the number
        of processes. Returns the report's notice id, or None when there is nothing to say."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            notice = await tx.notices.get(notice_id)
            if notice is None or notice.kind is NoticeKind.REPORT:
                return None
            counts = await tx.deliveries.counts([notice_id])
            if not counts.failed:
                return None
            # One report per finish: a resend reopens the notice, and finishes it anew.
            finished = notice.finished_at.isoformat() if notice.finished_at else ""
            topic = f"report:{notice_id}:{finished}"
            if await tx.notices.by_topic(topic) is not None:
                return None
            if notice.created_by is not None:
                people = [notice.created_by]
            else:
                people = list(await tx.roles.holders(Role.ADMIN))
            recipients = await tx.roles.recipients(people)
            if not recipients:
                return None
            report_id = await tx.notices.create(
                kind=NoticeKind.REPORT, now=now, body=str(notice_id), topic=topic
            )
            await _queue(
                tx, report_id, [(r.telegram_user_id, r.chat_id, True) for r in recipients], now
            )
            return report_id

    async def resend(self, notice_id: int, *, actor: int | None) -> int | None:
        """Queue a notice again for exactly those it did not reach (failed or unreachable),
        never for those it did; None if there is no such notice. The sender's progress
        message and the failure report follow as for the first sending."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            if await tx.notices.get(notice_id) is None:
                return None
            count = await tx.deliveries.requeue_undelivered(notice_id, now)
            if count:
                await tx.notices.reopen(notice_id)
                await record(
                    tx,
                    now,
                    Action.NOTICE_RESEND,
                    "notice",
                    notice_id,
                    actor=actor,
                    recipients=count,
                )
            return count


async def check_audience(tx: Tx, audience: Audience) -> Audience:
    """Raise NoticeError for the first part that names nothing; return it normalised."""
    if audience.is_empty:
        raise NoticeError(NoticeProblem.AUDIENCE_EMPTY)
    for slug in audience.teams:
        if await tx.teams.by_slug(slug) is None:
            raise NoticeError(NoticeProblem.UNKNOWN_TEAM, slug)
    countries = []
    for country in audience.countries:
        code = normalize_country(country)
        if code is None:
            raise NoticeError(NoticeProblem.COUNTRY, country)
        countries.append(code)
    for member_id in audience.members:
        if await tx.members.get(member_id) is None:
            raise NoticeError(NoticeProblem.UNKNOWN_MEMBER, str(member_id))
    for role in audience.roles:
        if role not in AUDIENCE_ROLES:
            raise NoticeError(NoticeProblem.ROLE, role)
    if audience.meeting is not None and await tx.meetings.get(audience.meeting) is None:
        raise NoticeError(NoticeProblem.UNKNOWN_MEETING, str(audience.meeting))
    return replace(audience, countries=tuple(dict.fromkeys(countries)))


def parse_audience(words: list[str]) -> Audience:
    """`team=a,b country=RS,MK role=chair member=12 all` (chat and CLI alike)."""
    teams: list[str] = []
    countries: list[str] = []
    members: list[int] = []
    roles: list[str] = []
    meeting: int | None = None
    everyone = False
    for word in words:
        key, sep, value = word.partition("=")
        key = key.lower()
        parts = [p.strip() for p in value.split(",") if p.strip()]
        if not sep and key in {"all", "everyone"}:
            everyone = True
        elif key in {"team", "teams"}:
            teams += [p.lower() for p in parts]
        elif key in {"country", "countries"}:
            countries += [p.upper() for p in parts]
        elif key in {"role", "roles"}:
            roles += [
                FOCAL_POINT_ROLE
                if p.lower() in {"focal", "focal_point", "focalpoint"}
                else p.lower()
                for p in parts
            ]
        elif key == "meeting":
            meeting = parse_id(parts[0]) if len(parts) == 1 else None
            if meeting is None:
                raise NoticeError(NoticeProblem.AUDIENCE_EMPTY, word)
        elif key in {"member", "members"}:
            for part in parts:
                number = parse_id(part)
                if number is None:
                    raise NoticeError(NoticeProblem.AUDIENCE_EMPTY, part)
                members.append(number)
        else:
            raise NoticeError(NoticeProblem.AUDIENCE_EMPTY, word)
    return Audience(
        teams=tuple(dict.fromkeys(teams)),
        countries=tuple(dict.fromkeys(countries)),
        members=tuple(dict.fromkeys(members)),
        roles=tuple(dict.fromkeys(roles)),
        everyone=everyone,
        meeting=meeting,
    )
