"""Who may do what. Checked against the database on every use, never cached."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.models import Member, MemberStatus, Role
from storage.repositories import Tx


@dataclass(frozen=True)
class Principal:
    """The person behind an update, as far as permissions go."""

    telegram_user_id: int
    is_admin: bool
    focal_countries: frozenset[str]
    member: Member | None

    @property
    def is_active_member(self) -> bool:
        return self.member is not None and self.member.status is MemberStatus.ACTIVE

    def may_decide_for(self, country: str) -> bool:
        """Approving a registration: the secretariat, or that country's focal point."""
        return self.is_admin or country in self.focal_countries


async def load_principal(tx: Tx, telegram_user_id: int) -> Principal:
    roles = await tx.roles.of(telegram_user_id)
    return Principal(
        telegram_user_id=telegram_user_id,
        is_admin=any(role is Role.ADMIN for role, _ in roles),
        focal_countries=frozenset(c for role, c in roles if role is Role.FOCAL_POINT),
        member=await tx.members.by_telegram_id(telegram_user_id),
    )


VISITOR_COMMANDS = ["start", "help", "language"]
MEMBER_COMMANDS = ["start", "help", "meetings", "profile", "language", "timezone"]
ADMIN_COMMANDS = [
    "invite",
    "members",
    "pending",
    "revoke",
    "newmeeting",
    "editmeeting",
    "cancelmeeting",
    "status",
    "export",
    "announce",
    "cancel",
]


def commands_for(principal: Principal | None) -> list[str]:
    """The commands a person may use, in menu order; the same rule guards each command."""
    if principal is None:
        return list(VISITOR_COMMANDS)
    commands = list(MEMBER_COMMANDS if principal.is_active_member else VISITOR_COMMANDS)
    if principal.is_admin:
        if "timezone" not in commands:
            commands.append("timezone")
        if "meetings" not in commands:
            commands.append("meetings")
        commands += ADMIN_COMMANDS
    elif principal.focal_countries:
        if "timezone" not in commands:
            commands.append("timezone")
        commands.append("pending")
    return commands
