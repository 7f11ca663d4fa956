"""Records the domain works with. Plain frozen dataclasses, filled by storage."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class MemberStatus(StrEnum):
    PENDING = "pending"  # registered, waiting for the secretariat or a focal point
    ACTIVE = "active"
    REVOKED = "revoked"
    UNREACHABLE = "unreachable"  # blocked the bot; set by delivery (see issue 3)


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


# -- meetings, notices, deliveries (issue 3) --------------------------------------------


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
    REQUEST = "request"  # a request card: new, or its deadline moved (issue 4)
    REMINDER = "reminder"  # a reminder, escalation or digest (issue 4)
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


# -- requests, action plans, reminders (issue 4) ----------------------------------------


class AnswerKind(StrEnum):
    CHOICE = "choice"  # one of the request's options, by button
    TEXT = "text"  # a typed answer
    DOCUMENTS = "documents"  # one or more files sent in the chat


class ResponseStatus(StrEnum):
    PENDING = "pending"
    SUBMITTED = "submitted"
    LATE = "late"  # given after the deadline, where late answers are accepted
    NOT_APPLICABLE = "not_applicable"  # set by the secretariat


class RequestStatus(StrEnum):
    OPEN = "open"
    CANCELLED = "cancelled"


class RuleKind(StrEnum):
    DATE = "date"  # one deadline
    RRULE = "rrule"  # recurring (RFC 5545)
    PERMANENT = "permanent"  # no deadline of its own: periodic status reports by `rule`


@dataclass(frozen=True)
class RequestText:
    title: str
    body: str
    options: tuple[str, ...]


@dataclass(frozen=True)
class Request:
    id: int
    title: str
    body: str
    ref_locale: str
    translations: dict[str, dict[str, object]]
    deadline: datetime
    timezone: str
    audience: Audience
    answer_kind: AnswerKind
    options: tuple[str, ...]
    accept_late: bool
    reminder_offsets: tuple[int, ...] | None
    skip_days_off: bool | None
    item_id: int | None
    status: RequestStatus
    escalated_at: datetime | None
    created_by: int | None
    created_at: datetime
    updated_at: datetime

    def text_for(self, locale: str | None) -> tuple[RequestText, bool]:
        """The texts in `locale` if translated, else the original (and True: untranslated)."""
        own = RequestText(self.title, self.body, self.options)
        if not locale or locale == self.ref_locale:
            return own, False
        found = self.translations.get(locale)
        if not found:
            return own, True
        listed = found.get("options")
        options = tuple(str(o) for o in listed) if isinstance(listed, list | tuple) else ()
        return (
            RequestText(
                str(found.get("title") or self.title),
                str(found.get("body") or self.body),
                options if len(options) == len(self.options) else self.options,
            ),
            False,
        )


@dataclass(frozen=True)
class ResponseFile:
    id: int
    response_id: int
    file_id: str
    file_unique_id: str
    file_name: str | None
    mime_type: str | None
    file_size: int | None
    path: str | None
    uploaded_by: int | None
    created_at: datetime


@dataclass(frozen=True)
class Response:
    """One answer owed to a request, by a party: "member:<id>", "country:<code>",
    "team:<id>"."""

    id: int
    request_id: int
    party: str
    status: ResponseStatus
    choice: int | None
    text: str | None
    answered_by: int | None
    answered_at: datetime | None
    amendments: int
    files: tuple[ResponseFile, ...] = ()

    @property
    def answered(self) -> bool:
        return self.status in (ResponseStatus.SUBMITTED, ResponseStatus.LATE)

    @property
    def owed(self) -> bool:
        return self.status is ResponseStatus.PENDING


@dataclass(frozen=True)
class Plan:
    id: int
    slug: str
    title: str
    ref_locale: str
    timezone: str


@dataclass(frozen=True)
class PlanItem:
    id: int
    plan_id: int
    ref: str
    title: str
    body: str
    translations: dict[str, dict[str, object]]
    responsible: Audience
    rule_kind: RuleKind
    rule: str
    dtstart: datetime
    answer_kind: AnswerKind
    options: tuple[str, ...]
    reminder_offsets: tuple[int, ...] | None
    current_deadline: datetime | None
    next_deadline: datetime | None


class ReminderState(StrEnum):
    PLANNED = "planned"
    QUEUED = "queued"  # handed to the delivery worker
    SKIPPED = "skipped"  # missed by more than the grace period, or pointless by then
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Reminder:
    id: int
    subject: str
    step: str
    telegram_user_id: int
    response_id: int | None
    due_at: datetime
    send_at: datetime
    state: ReminderState


# -- the official record (issue 5) ------------------------------------------------------


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
