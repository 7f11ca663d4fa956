"""Records the domain works with. Plain frozen dataclasses, filled by storage."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import NamedTuple


class MemberStatus(StrEnum):
    PENDING = "pending"  # registered, waiting for the secretariat or a focal point
    ACTIVE = "active"
    REVOKED = "revoked"
    UNREACHABLE = "unreachable"  # blocked the bot; set by delivery (bot/delivery.py)


class TeamRole(StrEnum):
    CHAIR = "chair"
    MEMBER = "member"
    OBSERVER = "observer"


class Role(StrEnum):
    ADMIN = "admin"  # the secretariat
    FOCAL_POINT = "focal_point"  # national focal point, per country


class Approval(StrEnum):
    AUTO = "auto"
    MANUAL = "manual"


@dataclass(frozen=True)
class Account:
    telegram_user_id: int
    chat_id: int | None
    locale: str | None
    timezone: str | None


@dataclass(frozen=True)
class Member:
    id: int
    telegram_user_id: int
    chat_id: int | None
    full_name: str
    country: str
    institution: str
    position: str
    email: str | None
    status: MemberStatus
    locale: str | None
    timezone: str | None
    consent_version: str
    consent_at: datetime
    created_at: datetime
    teams: tuple[str, ...] = ()  # team slugs, filled where a listing needs them


@dataclass(frozen=True)
class Team:
    id: int
    slug: str
    name: str


@dataclass(frozen=True)
class Invite:
    id: int
    country: str | None
    max_uses: int
    uses: int
    approval: Approval
    team_role: TeamRole
    expires_at: datetime
    revoked_at: datetime | None
    created_by: int | None
    teams: tuple[Team, ...] = field(default=())


@dataclass(frozen=True)
class Recipient:
    """Someone the bot is about to write to, with what is needed to write in their language."""

    telegram_user_id: int
    chat_id: int
    locale: str | None
    timezone: str | None


# -- meetings, notices, deliveries -------------------------------------------------------


class MeetingMode(StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"
    HYBRID = "hybrid"  # in person and online


class MeetingStatus(StrEnum):
    ANNOUNCED = "announced"
    CANCELLED = "cancelled"


class Answer(StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"
    NOT_ATTENDING = "not_attending"
    TENTATIVE = "tentative"

    @property
    def code(self) -> str:
        """One letter, for 64-byte callback data."""
        return ANSWER_CODES[self]


ANSWER_CODES = {
    Answer.IN_PERSON: "p",
    Answer.ONLINE: "o",
    Answer.NOT_ATTENDING: "n",
    Answer.TENTATIVE: "t",
}
ANSWER_BY_CODE = {code: answer for answer, code in ANSWER_CODES.items()}


class NoticeKind(StrEnum):
    INVITATION = "invitation"
    UPDATE = "update"
    CANCELLATION = "cancellation"
    ANNOUNCEMENT = "announcement"
    REQUEST = "request"  # a request card: new, or its deadline moved
    REMINDER = "reminder"  # a reminder, escalation or digest
    REPORT = "report"  # to a sender: a notice did not reach everyone (body: its number)


class NoticeStatus(StrEnum):
    SENDING = "sending"
    DONE = "done"


class DeliveryState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a worker; back to pending if it died mid-send
    SENT = "sent"
    FAILED = "failed"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class Audience:
    """Whom something is for. Empty in every part means everyone (active members)."""

    teams: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    members: tuple[int, ...] = ()
    roles: tuple[str, ...] = ()  # team roles (chair, member, observer) or "focal_point"
    everyone: bool = False
    # The invitees of a meeting: minutes or conclusions go to those who were invited, and
    # their receipts show in that meeting's status and export.
    meeting: int | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "teams": list(self.teams),
            "countries": list(self.countries),
            "members": list(self.members),
            "roles": list(self.roles),
            "everyone": self.everyone,
            "meeting": self.meeting,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Audience:
        def seq(key: str) -> tuple:
            value = data.get(key) or []
            return tuple(value) if isinstance(value, list | tuple) else ()

        return cls(
            teams=seq("teams"),
            countries=seq("countries"),
            members=tuple(int(m) for m in seq("members")),
            roles=seq("roles"),
            everyone=bool(data.get("everyone")),
            meeting=int(data["meeting"]) if data.get("meeting") is not None else None,  # type: ignore[call-overload]
        )

    @property
    def is_empty(self) -> bool:
        return not (
            self.teams
            or self.countries
            or self.members
            or self.roles
            or self.everyone
            or self.meeting is not None
        )


@dataclass(frozen=True)
class MeetingText:
    title: str
    description: str
    agenda: str


@dataclass(frozen=True)
class Meeting:
    id: int
    title: str
    description: str
    agenda: str
    ref_locale: str
    translations: dict[str, MeetingText]
    starts_at: datetime
    ends_at: datetime
    timezone: str
    mode: MeetingMode
    venue: str | None
    city: str | None
    host_country: str | None
    online_url: str | None
    audience: Audience
    rsvp_deadline: datetime
    tentative: bool
    ask_comment: bool
    status: MeetingStatus
    date_version: int
    created_by: int | None
    created_at: datetime
    updated_at: datetime
    # Reminders before the meeting (seconds before it); None: CONVENE_MEETING_REMINDERS.
    reminder_offsets: tuple[int, ...] | None = None

    def text_for(self, locale: str | None) -> tuple[MeetingText, bool]:
        """The texts in `locale` if translated; else the reference ones and True (untranslated)."""
        if locale and locale in self.translations:
            return self.translations[locale], False
        reference = MeetingText(self.title, self.description, self.agenda)
        return reference, bool(locale) and locale != self.ref_locale

    @property
    def answers(self) -> tuple[Answer, ...]:
        """The answers a member may give, in button order."""
        found: list[Answer] = []
        if self.mode in (MeetingMode.IN_PERSON, MeetingMode.HYBRID):
            found.append(Answer.IN_PERSON)
        if self.mode in (MeetingMode.ONLINE, MeetingMode.HYBRID):
            found.append(Answer.ONLINE)
        if self.tentative:
            found.append(Answer.TENTATIVE)
        found.append(Answer.NOT_ATTENDING)
        return tuple(found)


@dataclass(frozen=True)
class Invitation:
    id: int
    meeting_id: int
    member_id: int
    answer: Answer | None
    comment: str | None
    answered_at: datetime | None
    needs_confirmation: bool
    stands_in_for: int | None
    substitute_id: int | None
    substitute_requested_at: datetime | None
    invited_at: datetime


@dataclass(frozen=True)
class Notice:
    id: int
    kind: NoticeKind
    meeting_id: int | None
    body: str
    ref_locale: str
    translations: dict[str, str]
    changes: dict[str, object]
    audience: Audience
    document_file_id: str | None
    document_name: str | None
    document_path: str | None
    ack_required: bool
    restricted: bool
    status: NoticeStatus
    total: int
    created_by: int | None
    progress_chat_id: int | None
    progress_message_id: int | None
    created_at: datetime
    finished_at: datetime | None
    request_id: int | None = None
    topic: str | None = None

    def body_for(self, locale: str | None) -> tuple[str, bool]:
        if locale and locale in self.translations:
            return self.translations[locale], False
        return self.body, bool(locale) and locale != self.ref_locale


@dataclass(frozen=True)
class Delivery:
    id: int
    notice_id: int
    telegram_user_id: int
    chat_id: int
    state: DeliveryState
    parts_sent: int
    attempts: int
    next_attempt_at: datetime
    claimed_at: datetime | None
    message_id: int | None
    sent_at: datetime | None
    last_error: str | None
    acknowledged_at: datetime | None
    created_at: datetime | None = None  # when it was queued
    requeued_at: datetime | None = None  # when `/resend` queued it again


@dataclass(frozen=True)
class DeliveryCounts:
    pending: int = 0
    sent: int = 0
    failed: int = 0
    unreachable: int = 0
    acknowledged: int = 0

    @property
    def total(self) -> int:
        return self.pending + self.sent + self.failed + self.unreachable

    @property
    def finished(self) -> bool:
        return self.pending == 0


class AttendanceRow(NamedTuple):
    """One invitee of a meeting and their answer (the meeting's export, bot/domain/reports.py).
    A tuple, as ProofRow: the export of 100,000 invitees holds one per invitee."""

    member_id: int
    telegram_user_id: int
    country: str
    full_name: str
    institution: str
    position: str
    email: str | None
    answer: Answer | None
    answered_at: datetime | None
    needs_confirmation: bool
    comment: str | None
    substitute_name: str | None  # who comes in their place
    stands_in_for_name: str | None  # whom they replace


class DeliveryLogRow(NamedTuple):
    """One message of a meeting's notices to one recipient (the meeting's export)."""

    notice_id: int
    telegram_user_id: int
    state: DeliveryState
    sent_at: datetime | None
    attempts: int
    acknowledged_at: datetime | None
    error: str | None


class ProofRow(NamedTuple):
    """One recipient of a notice and what became of the message (bot/domain/proof.py).

    A tuple, not a dataclass: a proof of 100,000 recipients is read in one query and
    building a record per row cost more than the query."""

    telegram_user_id: int
    member_id: int | None  # None: no longer a member (forgotten, deleted)
    country: str  # "" when no longer a member
    full_name: str | None
    ref: str | None  # the person's reference in the audit log
    state: DeliveryState
    queued_at: datetime | None
    sent_at: datetime | None  # Telegram's acceptance of the message
    message_id: int | None
    attempts: int
    acknowledged_at: datetime | None
    error: str | None
    answered_at: datetime | None  # what the notice asked, answered (by them or for them)

    @property
    def name(self) -> str:
        if self.full_name is not None:
            return self.full_name
        return self.ref or f"Telegram {self.telegram_user_id}"


# -- reminders ---------------------------------------------------------------------------


class ReminderState(StrEnum):
    PLANNED = "planned"
    QUEUED = "queued"  # handed to the delivery worker
    SKIPPED = "skipped"  # missed by more than the grace period, or pointless by then
    CANCELLED = "cancelled"


class SubjectKind(StrEnum):
    REQUEST = "req"
    MEETING = "mtg"


@dataclass(frozen=True)
class ReminderSubject:
    """What a reminder is about: a request or a meeting, stored as "req:12" or "mtg:5"."""

    kind: SubjectKind
    id: int

    @classmethod
    def request(cls, request_id: int) -> ReminderSubject:
        return cls(SubjectKind.REQUEST, request_id)

    @classmethod
    def meeting(cls, meeting_id: int) -> ReminderSubject:
        return cls(SubjectKind.MEETING, meeting_id)

    @classmethod
    def parse(cls, text: str) -> ReminderSubject | None:
        """The subject stored as `text`, or None if it is not one."""
        kind, sep, key = text.partition(":")
        if not sep or kind not in SUBJECT_KINDS or not (key.isascii() and key.isdigit()):
            return None
        return cls(SubjectKind(kind), int(key))

    @classmethod
    def stored(cls, text: str) -> ReminderSubject:
        """The subject of a reminder row; ValueError if the row holds something else."""
        subject = cls.parse(text)
        if subject is None:
            raise ValueError(f"not a reminder subject: {text!r}")
        return subject

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.id}"


SUBJECT_KINDS = frozenset(kind.value for kind in SubjectKind)


class StepKind(StrEnum):
    BEFORE = "before"  # before a response deadline (request or meeting RSVP)
    START = "start"  # before a meeting, to those who said they come
    ESCALATE = "escalate"  # to focal points (or team chairs), at the deadline
    DIGEST = "digest"  # to the secretariat, at the deadline
    OVERDUE = "overdue"  # to those who owe an obligation, some days after the deadline


@dataclass(frozen=True)
class ReminderStep:
    """Which reminder of a subject: its kind, the deadline or start it is for, and for
    BEFORE and START how many seconds before it. Stored as "before:<unix time>:<seconds>",
    "start:<unix time>:<seconds>", or "<kind>:<unix time>"."""

    kind: StepKind
    moment: datetime
    seconds: int | None = None

    @classmethod
    def parse(cls, text: str) -> ReminderStep | None:
        """The step stored as `text`, or None if it is not one."""
        parts = text.split(":")
        if len(parts) not in (2, 3) or parts[0] not in STEP_KINDS:
            return None
        if not all(part.isascii() and part.isdigit() for part in parts[1:]):
            return None
        moment = datetime.fromtimestamp(int(parts[1]), UTC)
        return cls(StepKind(parts[0]), moment, int(parts[2]) if len(parts) > 2 else None)

    @classmethod
    def stored(cls, text: str) -> ReminderStep:
        """The step of a reminder row; ValueError if the row holds something else."""
        step = cls.parse(text)
        if step is None:
            raise ValueError(f"not a reminder step: {text!r}")
        return step

    def __str__(self) -> str:
        text = f"{self.kind.value}:{int(self.moment.timestamp())}"
        return text if self.seconds is None else f"{text}:{self.seconds}"


STEP_KINDS = frozenset(kind.value for kind in StepKind)


@dataclass(frozen=True)
class Reminder:
    """One planned reminder row; `subject` and `step` as stored (see ReminderSubject and
    ReminderStep)."""

    id: int
    subject: str
    step: str
    telegram_user_id: int
    response_id: int | None
    due_at: datetime
    send_at: datetime
    state: ReminderState


# -- the official record: the audit log --------------------------------------------------


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor_ref: str | None  # None: the system or the command line
    action: str
    object_type: str
    object_id: str | None
    subject_ref: str | None
    details: dict[str, object]
