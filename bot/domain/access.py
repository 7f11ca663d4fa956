"""Who may do what. Checked against the database on every use, never cached."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.models import Member, MemberStatus, Role
from bot.domain.request_models import Party, PartyKind
from storage.tx import Tx


@dataclass(frozen=True)
class Principal:
    """The person behind an update, as far as permissions go."""

    telegram_user_id: int
    is_admin: bool
    focal_countries: frozenset[str]
    member: Member | None
    chaired_teams: frozenset[int] = frozenset()  # team ids where the member is chair

    @property
    def is_active_member(self) -> bool:
        return self.member is not None and self.member.status is MemberStatus.ACTIVE

    def may_decide_for(self, country: str) -> bool:
        """Approving a registration: the secretariat, or that country's focal point."""
        return self.is_admin or country in self.focal_countries

    @property
    def scope(self) -> Scope | None:
        """What this person may see of meetings, requests, plans and the roster: everything
        (the secretariat), their countries (focal points), their teams (chairs, if still
        active members), or nothing."""
        if self.is_admin:
            return Scope(everything=True)
        teams = self.chaired_teams if self.is_active_member else frozenset()
        if self.focal_countries or teams:
            return Scope(countries=self.focal_countries, teams=teams)
        return None


@dataclass(frozen=True)
class Scope:
    everything: bool = False
    countries: frozenset[str] = frozenset()
    teams: frozenset[int] = frozenset()

    def covers(self, country: str | None, team_ids: frozenset[int] | set[int]) -> bool:
        """A member (their country and teams) is visible in this scope."""
        return self.everything or country in self.countries or bool(self.teams & set(team_ids))

    def covers_party(self, party: str, country: str | None, team_ids: set[int]) -> bool:
        """An answer owed by a party: a country, a member (their country, teams), a team."""
        owner = Party.stored(party)
        if self.everything:
            return True
        if owner.kind is PartyKind.COUNTRY:
            return owner.key in self.countries
        if owner.kind is PartyKind.TEAM:
            return owner.id in self.teams
        return self.covers(country, team_ids)


async def load_principal(tx: Tx, telegram_user_id: int) -> Principal:
    roles = await tx.roles.of(telegram_user_id)
    member = await tx.members.by_telegram_id(telegram_user_id)
    chaired: frozenset[int] = frozenset()
    if member is not None:
        chaired = frozenset(
            team.id for team, role in await tx.teams.of_member(member.id) if role.value == "chair"
        )
    return Principal(
        telegram_user_id=telegram_user_id,
        is_admin=any(role is Role.ADMIN for role, _ in roles),
        focal_countries=frozenset(c for role, c in roles if role is Role.FOCAL_POINT),
        member=member,
        chaired_teams=chaired,
    )


VISITOR_COMMANDS = ["start", "help", "language"]
MEMBER_COMMANDS = [
    "start",
    "help",
    "meetings",
    "requests",
    "profile",
    "language",
    "timezone",
    "mydata",
    "forget",
]
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
    "plan",
    "audit",
    "proof",
    "cancel",
]


# What focal points and team chairs may use, each showing their country's or team's part.
SCOPED_COMMANDS = ["members", "status", "export", "plan"]


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
        if "requests" not in commands:
            commands.append("requests")
        commands += ADMIN_COMMANDS
    elif principal.scope is not None:
        # Focal points and team chairs: the secretariat's views, for their country or team.
        if "timezone" not in commands:
            commands.append("timezone")
        if principal.focal_countries:
            commands.append("pending")
        commands += SCOPED_COMMANDS
    return commands
