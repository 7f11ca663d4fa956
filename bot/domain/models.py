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
