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
    awaiting: str | None = None


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
        def seq(key: str) -> tuple:  # type: ignore[type-arg]
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
