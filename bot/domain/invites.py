"""Invitation links: opaque tokens bound to teams, a country, uses and an expiry."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.audit import Action, record
from bot.domain.clock import Clock
from bot.domain.models import Approval, Invite, Team, TeamRole
from storage.db import Database
from storage.tx import Tx

# A /start payload may hold at most 64 characters of A-Za-z0-9_-; 16 random bytes
# (128 bits) in URL-safe base64 is 22 of them.
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
DEFAULT_EXPIRY = timedelta(days=14)
MAX_EXPIRY = timedelta(days=366)
MAX_USES = 10_000

_DURATION = re.compile(r"^\s*(\d{1,4})\s*([mhdw])\s*$", re.IGNORECASE)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class InviteProblem(StrEnum):
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED_UP = "used_up"
    REVOKED = "revoked"
    TOO_MANY_TRIES = "too_many_tries"  # wrong tokens guessed: wait before the next try


# Guessing invitation tokens is slowed down: a person may mistype a few links, then each
# further try waits twice as long as the one before (1 min, 2 min, 4 min … at most a day).
FREE_GUESSES = 5
MAX_GUESS_WAIT = timedelta(days=1)
FORGET_GUESSES_AFTER = timedelta(days=1)


async def guess_wait(tx: Tx, telegram_user_id: int, now: datetime) -> timedelta:
    """How long the person must wait before their next token is even looked at."""
    found = await tx.token_attempts.get(telegram_user_id)
    if found is None:
        return timedelta(0)
    failures, last = found
    if now - last >= FORGET_GUESSES_AFTER or failures < FREE_GUESSES:
        return timedelta(0)
    wait = min(timedelta(minutes=2 ** (failures - FREE_GUESSES)), MAX_GUESS_WAIT)
    return max(last + wait - now, timedelta(0))


async def count_guess(tx: Tx, telegram_user_id: int, now: datetime, *, wrong: bool) -> None:
    """A token was tried: a wrong one counts against the person, a right one clears them."""
    if not wrong:
        await tx.token_attempts.clear(telegram_user_id)
        return
    found = await tx.token_attempts.get(telegram_user_id)
    failures = 0 if found is None or now - found[1] >= FORGET_GUESSES_AFTER else found[0]
    await tx.token_attempts.failed(telegram_user_id, failures + 1, now)


class InviteSpecProblem(StrEnum):
    NO_TEAM = "no_team"
    BAD_USES = "bad_uses"
    BAD_EXPIRY = "bad_expiry"
    BAD_COUNTRY = "bad_country"
    UNKNOWN_TEAM = "unknown_team"
    BAD_OPTION = "bad_option"  # an option the chat command does not know


class InviteSpecError(ValueError):
    """A request to create an invitation is malformed; `problem` says how."""

    def __init__(self, problem: InviteSpecProblem, value: str = "") -> None:
        self.problem = problem
        self.value = value
        super().__init__(f"{problem.value}: {value}")


@dataclass(frozen=True)
class CreatedInvite:
    token: str
    invite: Invite


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_duration(text: str) -> timedelta | None:
    """'7d', '12h', '2w', '90m' -> timedelta; None if it is not one."""
    match = _DURATION.match(text)
    if not match:
        return None
    amount = int(match.group(1))
    if amount == 0:
        return None
    return timedelta(**{_UNITS[match.group(2).lower()]: amount})


def invite_problem(invite: Invite | None, now: datetime) -> InviteProblem | None:
    if invite is None:
        return InviteProblem.UNKNOWN
    if invite.revoked_at is not None:
        return InviteProblem.REVOKED
    if invite.expires_at <= now:
        return InviteProblem.EXPIRED
    if invite.uses >= invite.max_uses:
        return InviteProblem.USED_UP
    return None


async def find_invite(tx: Tx, token: str) -> Invite | None:
    if not TOKEN_PATTERN.match(token):
        return None
    return await tx.invites.by_hash(hash_token(token))


class Invites:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def create(
        self,
        *,
        team_slugs: list[str],
        country: str | None = None,
        uses: int = 1,
        expires_in: timedelta = DEFAULT_EXPIRY,
        approval: Approval = Approval.MANUAL,
        team_role: TeamRole = TeamRole.MEMBER,
        created_by: int | None = None,
    ) -> CreatedInvite:
        from bot.domain.countries import normalize_country

        if not team_slugs:
            raise InviteSpecError(InviteSpecProblem.NO_TEAM)
        if not 1 <= uses <= MAX_USES:
            raise InviteSpecError(InviteSpecProblem.BAD_USES, str(uses))
        if not timedelta(0) < expires_in <= MAX_EXPIRY:
            raise InviteSpecError(InviteSpecProblem.BAD_EXPIRY)
        if country is not None:
            normalized = normalize_country(country)
            if normalized is None:
                raise InviteSpecError(InviteSpecProblem.BAD_COUNTRY, country)
            country = normalized
        now = self.clock.now()
        token = secrets.token_urlsafe(16)
        async with self.db.transaction() as tx:
            found: list[Team] = []
            for slug in dict.fromkeys(team_slugs):
                team = await tx.teams.by_slug(slug)
                if team is None:
                    raise InviteSpecError(InviteSpecProblem.UNKNOWN_TEAM, slug)
                found.append(team)
            invite_id = await tx.invites.create(
                token_hash=hash_token(token),
                team_ids=[team.id for team in found],
                now=now,
                country=country,
                max_uses=uses,
                approval=approval.value,
                team_role=team_role.value,
                expires_at=now + expires_in,
                created_by=created_by,
            )
            invite = await tx.invites.get(invite_id)
            await record(
                tx,
                now,
                Action.INVITE_CREATE,
                "invite",
                invite_id,
                actor=created_by,
                teams=[t.slug for t in found],
                country=country,
                uses=uses,
                approval=approval.value,
            )
        assert invite is not None
        return CreatedInvite(token, invite)


async def revoke_invite(
    db: Database, clock: Clock, invite_id: int, revoked_by: int | None = None
) -> bool:
    """Withdraw a link so that nobody can register with it any more."""
    async with db.transaction() as tx:
        revoked = await tx.invites.revoke(invite_id, clock.now())
        if revoked:
            await record(
                tx, clock.now(), Action.INVITE_REVOKE, "invite", invite_id, actor=revoked_by
            )
        return revoked


def deep_link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username}?start={token}"
