"""The roster: approving, revoking and listing members; teams; roles; preferences."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.access import Principal, Scope, load_principal
from bot.domain.audit import Action, record
from bot.domain.clock import Clock
from bot.domain.countries import normalize_country
from bot.domain.models import Account, Member, MemberStatus, Recipient, Role, Team
from bot.domain.registration_steps import check_text
from bot.domain.timezones import resolve_timezone
from bot.domain.values import clean_text
from bot.i18n import SUPPORTED_LOCALES
from storage.db import Database

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


class DecisionKind(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    FORBIDDEN = "forbidden"
    ALREADY_DECIDED = "already_decided"
    GONE = "gone"  # rejected earlier (the record was deleted) or never existed


@dataclass(frozen=True)
class Decision:
    kind: DecisionKind
    member: Member | None = None
    applicant: Recipient | None = None
    messages: tuple[tuple[int, int], ...] = ()  # (chat_id, message_id) of the approval requests
    teams: tuple[str, ...] = ()  # names of the member's teams, read before a rejection deletes them


class RosterProblem(StrEnum):
    BAD_COUNTRY = "bad_country"
    BAD_STATUS = "bad_status"
    UNKNOWN_TEAM = "unknown_team"
    BAD_TEAM_NAME = "bad_team_name"
    BAD_SLUG = "bad_slug"
    TEAM_EXISTS = "team_exists"


class RosterError(ValueError):
    def __init__(self, problem: RosterProblem, value: str = "") -> None:
        self.problem = problem
        self.value = value
        super().__init__(f"{problem.value}: {value}")


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:64] or "team"


class Roster:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def principal(self, telegram_user_id: int) -> Principal:
        async with self.db.transaction() as tx:
            return await load_principal(tx, telegram_user_id)

    async def begin_update(
        self, update_id: int, telegram_user_id: int | None
    ) -> tuple[bool, Account | None]:
        """Record an update as handled and load its sender's account, in one transaction.

        Returns False (and no account) for an update that was handled already.
        """
        async with self.db.transaction() as tx:
            if not await tx.updates.claim(update_id, self.clock.now()):
                return False, None
            if telegram_user_id is None:
                return True, None
            return True, await tx.accounts.get(telegram_user_id)

    async def meta(self, key: str) -> str | None:
        async with self.db.transaction() as tx:
            return await tx.meta.get(key)

    async def set_meta(self, key: str, value: str) -> None:
        async with self.db.transaction() as tx:
            await tx.meta.set(key, value)

    async def active_members_after(self, member_id: int, limit: int) -> list[Member]:
        """A page of the active roster after row `member_id` (see MemberRepo.active_after)."""
        async with self.db.transaction() as tx:
            return await tx.members.active_after(member_id, limit)

    async def account(self, telegram_user_id: int) -> Account | None:
        async with self.db.transaction() as tx:
            return await tx.accounts.get(telegram_user_id)

    # -- approval ----------------------------------------------------------------------

    async def record_approval_message(self, member_id: int, chat_id: int, message_id: int) -> None:
        async with self.db.transaction() as tx:
            await tx.approvals.add(member_id, chat_id, message_id)

    async def decide(self, member_id: int, decided_by: int, approve: bool) -> Decision:
        """Approve or reject a pending registration; the first approver to press wins.

        A rejection deletes the applicant's record: personal data of someone who was not
        admitted is not kept. They may apply again with a new link.
        """
        now = self.clock.now()
        async with self.db.transaction() as tx:
            member = await tx.members.get(member_id)
            if member is None:
                return Decision(DecisionKind.GONE)
            principal = await load_principal(tx, decided_by)
            if not principal.may_decide_for(member.country):
                return Decision(DecisionKind.FORBIDDEN, member)
            if member.status is not MemberStatus.PENDING:
                return Decision(DecisionKind.ALREADY_DECIDED, member)
            messages = tuple(await tx.approvals.of_member(member_id))
            teams = tuple(team.name for team, _ in await tx.teams.of_member(member_id))
            applicant = (
                Recipient(member.telegram_user_id, member.chat_id, member.locale, member.timezone)
                if member.chat_id is not None
                else None
            )
            if approve:
                won = await tx.members.set_status_if(
                    member_id, MemberStatus.PENDING, MemberStatus.ACTIVE, now, decided_by
                )
                if not won:
                    return Decision(DecisionKind.ALREADY_DECIDED, member)
                await record(
                    tx,
                    now,
                    Action.MEMBER_APPROVE,
                    "member",
                    member_id,
                    actor=decided_by,
                    subject=member.telegram_user_id,
                    country=member.country,
                )
                await tx.approvals.clear(member_id)
                member = await tx.members.get(member_id)
                return Decision(DecisionKind.APPROVED, member, applicant, messages, teams)
            await tx.members.delete(member_id)
            await record(
                tx,
                now,
                Action.MEMBER_REJECT,
                "member",
                member_id,
                actor=decided_by,
                subject=member.telegram_user_id,
                country=member.country,
            )
            # Nothing about a person who was not admitted is kept: not even the link
            # between their Telegram account and the log's reference.
            await tx.audit.forget(member.telegram_user_id, now)
            return Decision(DecisionKind.REJECTED, member, applicant, messages, teams)

    async def member(self, member_id: int) -> Member | None:
        async with self.db.transaction() as tx:
            return await tx.members.get(member_id)

    async def revoke(self, member_id: int, revoked_by: int) -> Decision:
        now = self.clock.now()
        async with self.db.transaction() as tx:
            principal = await load_principal(tx, revoked_by)
            if not principal.is_admin:
                return Decision(DecisionKind.FORBIDDEN)
            member = await tx.members.get(member_id)
            if member is None:
                return Decision(DecisionKind.GONE)
            if member.status is MemberStatus.REVOKED:
                return Decision(DecisionKind.ALREADY_DECIDED, member)
            await tx.members.set_status_if(
                member_id, member.status, MemberStatus.REVOKED, now, revoked_by
            )
            await record(
                tx,
                now,
                Action.MEMBER_REVOKE,
                "member",
                member_id,
                actor=revoked_by,
                subject=member.telegram_user_id,
            )
            updated = await tx.members.get(member_id)
            applicant = (
                Recipient(member.telegram_user_id, member.chat_id, member.locale, member.timezone)
                if member.chat_id is not None
                else None
            )
            return Decision(DecisionKind.REJECTED, updated, applicant)

    # -- listing -----------------------------------------------------------------------

    async def members(
        self,
        *,
        team: str | None = None,
        country: str | None = None,
        status: str | None = None,
        scope: Scope | None = None,
    ) -> list[Member]:
        """Filtered roster. Bad filter values raise RosterError with the offending value."""
        country_code = None
        if country:
            country_code = normalize_country(country)
            if country_code is None:
                raise RosterError(RosterProblem.BAD_COUNTRY, country)
        status_value = None
        if status:
            try:
                status_value = MemberStatus(status.lower())
            except ValueError:
                raise RosterError(RosterProblem.BAD_STATUS, status) from None
        async with self.db.transaction() as tx:
            if team and await tx.teams.by_slug(team) is None:
                raise RosterError(RosterProblem.UNKNOWN_TEAM, team)
            found = await tx.members.search(
                team_slug=team, country=country_code, status=status_value
            )
            if scope is not None and not scope.everything:
                teams = await tx.teams.ids_of_members([m.id for m in found])
                found = [m for m in found if scope.covers(m.country, teams[m.id])]
            return found

    async def teams(self) -> list[Team]:
        async with self.db.transaction() as tx:
            return await tx.teams.all()

    async def teams_of(self, member_id: int) -> list[tuple[Team, str]]:
        async with self.db.transaction() as tx:
            return [(team, role.value) for team, role in await tx.teams.of_member(member_id)]

    # -- set-up (CLI) ------------------------------------------------------------------

    async def create_team(self, name: str, slug: str | None = None) -> Team:
        name = " ".join(name.split())
        if not 2 <= len(name) <= 200:
            raise RosterError(RosterProblem.BAD_TEAM_NAME, name)
        slug = slug or slugify(name)
        if not _SLUG.match(slug):
            raise RosterError(RosterProblem.BAD_SLUG, slug)
        async with self.db.transaction() as tx:
            if await tx.teams.by_slug(slug) is not None:
                raise RosterError(RosterProblem.TEAM_EXISTS, slug)
            team = await tx.teams.create(slug, name, self.clock.now())
            await record(tx, self.clock.now(), Action.TEAM_CREATE, "team", team.id, slug=slug)
            return team

    async def grant(self, telegram_user_id: int, role: Role, country: str = "") -> bool:
        if role is Role.FOCAL_POINT:
            code = normalize_country(country)
            if code is None:
                raise RosterError(RosterProblem.BAD_COUNTRY, country)
            country = code
        async with self.db.transaction() as tx:
            granted = await tx.roles.grant(telegram_user_id, role, self.clock.now(), country)
            if granted:
                await record(
                    tx,
                    self.clock.now(),
                    Action.ROLE_GRANT,
                    "role",
                    role.value,
                    subject=telegram_user_id,
                    country=country,
                )
            return granted

    async def withdraw(self, telegram_user_id: int, role: Role, country: str = "") -> bool:
        async with self.db.transaction() as tx:
            withdrawn = await tx.roles.revoke(telegram_user_id, role, country.upper())
            if withdrawn:
                await record(
                    tx,
                    self.clock.now(),
                    Action.ROLE_WITHDRAW,
                    "role",
                    role.value,
                    subject=telegram_user_id,
                    country=country.upper(),
                )
            return withdrawn

    async def admins(self) -> list[Recipient]:
        async with self.db.transaction() as tx:
            return await tx.roles.recipients(await tx.roles.holders(Role.ADMIN))

    # -- preferences and profile ---------------------------------------------------------

    async def set_reachable(self, telegram_user_id: int, reachable: bool) -> MemberStatus | None:
        """Follow a member blocking (unreachable) or unblocking (active again) the bot.

        Only active and unreachable members move; a pending or revoked member keeps
        their status. Returns the new status, or None if nothing changed.
        """
        now = self.clock.now()
        before, after = (
            (MemberStatus.UNREACHABLE, MemberStatus.ACTIVE)
            if reachable
            else (MemberStatus.ACTIVE, MemberStatus.UNREACHABLE)
        )
        async with self.db.transaction() as tx:
            member = await tx.members.by_telegram_id(telegram_user_id)
            if member is None or member.status is not before:
                return None
            await tx.members.update(member.id, now, status=after.value)
            action = Action.MEMBER_REACHABLE if reachable else Action.MEMBER_UNREACHABLE
            await record(tx, now, action, "member", member.id, subject=telegram_user_id)
        return after

    async def remember_chat(
        self, telegram_user_id: int, chat_id: int, locale: str | None = None
    ) -> None:
        """Store the person's chat; with `locale`, also the language seen in their Telegram,
        unless they already chose one (cards and alerts for them are then in it)."""
        async with self.db.transaction() as tx:
            now = self.clock.now()
            await tx.accounts.ensure(telegram_user_id, chat_id, now)
            if locale in SUPPORTED_LOCALES:
                account = await tx.accounts.get(telegram_user_id)
                if account is not None and account.locale is None:
                    await tx.accounts.set_preferences(telegram_user_id, now, locale=locale)

    async def set_locale(self, telegram_user_id: int, chat_id: int, locale: str) -> bool:
        if locale not in SUPPORTED_LOCALES:
            return False
        async with self.db.transaction() as tx:
            now = self.clock.now()
            await tx.accounts.ensure(telegram_user_id, chat_id, now)
            await tx.accounts.set_preferences(telegram_user_id, now, locale=locale)
        return True

    async def set_timezone(self, telegram_user_id: int, text: str) -> str | None:
        """Store the zone the member typed or picked; None if it is not one."""
        resolved = resolve_timezone(text)
        if resolved is None:
            return None
        async with self.db.transaction() as tx:
            await tx.accounts.set_preferences(telegram_user_id, self.clock.now(), timezone=resolved)
        return resolved

    async def update_profile(self, member_id: int, field: str, text: str) -> str | None:
        """Change one profile field; returns a problem code, or None when saved."""
        if field not in {"full_name", "institution", "position", "email"}:
            return "bad_field"
        value = " ".join(clean_text(text).split())
        if field == "email" and value == "-":
            value = ""
        problem = check_text(field, value) if value or field != "email" else None
        if problem:
            return problem.value
        async with self.db.transaction() as tx:
            await tx.members.update(member_id, self.clock.now(), **{field: value or None})
            member = await tx.members.get(member_id)
            if member is not None:
                who = member.telegram_user_id
                await record(
                    tx,
                    self.clock.now(),
                    Action.PROFILE_UPDATE,
                    "member",
                    member_id,
                    actor=who,
                    subject=who,
                    field=field,
                )
        return None


__all__ = ["Decision", "DecisionKind", "Roster", "RosterError", "RosterProblem", "slugify"]
