"""Records of requests and action plans, and the parties that owe their answers.

Plain frozen dataclasses, filled by storage, as in bot/domain/models.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.countries import normalize_country
from bot.domain.models import Audience
from bot.domain.values import parse_id


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

    def accepts_answers(self, now: datetime) -> bool:
        """Open, and before its deadline unless it takes late answers: an answer may be
        given or changed now."""
        return self.status is RequestStatus.OPEN and (now <= self.deadline or self.accept_late)

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


class PartyKind(StrEnum):
    MEMBER = "member"  # one member
    COUNTRY = "country"  # a country's delegation: any active member of it may answer
    TEAM = "team"  # a team: any member of it may answer


@dataclass(frozen=True)
class Party:
    """Who owes an answer to a request: a member, a country or a team. Stored as text:
    "member:12", "country:RS", "team:3"."""

    kind: PartyKind
    key: str  # the country's code, or the member's or team's row number

    @classmethod
    def member(cls, member_id: int) -> Party:
        return cls(PartyKind.MEMBER, str(member_id))

    @classmethod
    def country(cls, code: str) -> Party:
        return cls(PartyKind.COUNTRY, code)

    @classmethod
    def team(cls, team_id: int) -> Party:
        return cls(PartyKind.TEAM, str(team_id))

    @property
    def id(self) -> int:
        """The member's or team's row number."""
        return int(self.key)

    @classmethod
    def parse(cls, text: str) -> Party | None:
        """The party stored as `text`, or None if it is not one."""
        kind, sep, key = text.partition(":")
        if not sep or not key or kind not in PARTY_KINDS:
            return None
        if kind != PartyKind.COUNTRY and not (key.isascii() and key.isdigit()):
            return None
        return cls(PartyKind(kind), key)

    @classmethod
    def read(cls, text: str) -> Party | None:
        """The party someone typed: a country's code ("RS", "country:rs"), "member:12" or
        "team:3"; None if it is none of these."""
        kind, sep, key = text.strip().partition(":")
        if not sep:
            kind, key = PartyKind.COUNTRY.value, kind
        if kind == PartyKind.COUNTRY:
            code = normalize_country(key)
            return None if code is None else cls.country(code)
        number = parse_id(key)
        if kind not in PARTY_KINDS or number is None:
            return None
        return cls(PartyKind(kind), str(number))

    @classmethod
    def stored(cls, text: str) -> Party:
        """The party of a response row; ValueError if the row holds something else."""
        party = cls.parse(text)
        if party is None:
            raise ValueError(f"not a party: {text!r}")
        return party

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.key}"


PARTY_KINDS = frozenset(kind.value for kind in PartyKind)


@dataclass(frozen=True)
class Response:
    """One answer owed to a request, by a party (see Party: `party` is its stored form)."""

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
