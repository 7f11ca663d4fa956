"""Registration through an invitation link, one step at a time.

The draft lives in the database (table `registrations`), so a person who is
halfway through when the bot restarts carries on at the same step. The states
and their transitions are drawn in handlers/registration.mmd; the steps, the draft and
the checks on each answer are in bot/domain/registration_steps.py.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from enum import StrEnum
from typing import Any

from bot.domain.audit import Action, record
from bot.domain.clock import Clock
from bot.domain.countries import default_timezone, normalize_country
from bot.domain.invites import InviteProblem, count_guess, find_invite, guess_wait, invite_problem
from bot.domain.models import Approval, Invite, Member, MemberStatus, Recipient, Role
from bot.domain.pending import Feature, PendingInputs
from bot.domain.registration_steps import (
    EDITABLE,
    ORDER,
    TEXT_STEPS,
    Draft,
    Problem,
    Step,
    check_text,
)
from bot.domain.timezones import resolve_timezone
from bot.domain.values import clean_text
from bot.i18n import SUPPORTED_LOCALES
from storage.db import Database
from storage.tx import Tx

# Bumped whenever the privacy notice's text changes; stored with each consent.
PRIVACY_NOTICE_VERSION = "2026-11-23"  # retention periods, /mydata, /forget


class StartKind(StrEnum):
    STARTED = "started"
    RESUMED = "resumed"
    JOINED_TEAMS = "joined_teams"  # an active member used a link for more teams
    ALREADY_MEMBER = "already_member"
    PENDING = "pending"
    REVOKED = "revoked"
    INVALID = "invalid"


@dataclass(frozen=True)
class StartOutcome:
    kind: StartKind
    draft: Draft | None = None
    problem: InviteProblem | None = None
    teams: tuple[str, ...] = ()
    retry_in: timedelta | None = None  # with TOO_MANY_TRIES


@dataclass(frozen=True)
class StepOutcome:
    draft: Draft | None
    problem: Problem | None = None


class SubmitKind(StrEnum):
    ACTIVE = "active"
    PENDING = "pending"
    INVITE_INVALID = "invite_invalid"
    NOT_READY = "not_ready"


@dataclass(frozen=True)
class SubmitOutcome:
    kind: SubmitKind
    member: Member | None = None
    approvers: tuple[Recipient, ...] = ()
    teams: tuple[str, ...] = ()
    problem: InviteProblem | None = None


class Registrations:
    def __init__(self, db: Database, clock: Clock, fallback_timezone: str) -> None:
        self.db = db
        self.clock = clock
        self.fallback_timezone = fallback_timezone
        self.pending = PendingInputs(db, clock)

    # -- entering ----------------------------------------------------------------------

    async def start(
        self,
        *,
        telegram_user_id: int,
        chat_id: int,
        token: str,
        suggested_name: str,
        suggested_locale: str,
    ) -> StartOutcome:
        """Handle `/start <token>`: begin (or resume) a registration, or say why not."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            wait = await guess_wait(tx, telegram_user_id, now)
            if wait:
                return StartOutcome(
                    StartKind.INVALID, problem=InviteProblem.TOO_MANY_TRIES, retry_in=wait
                )
            invite = await find_invite(tx, token)
            problem = invite_problem(invite, now)
            await count_guess(tx, telegram_user_id, now, wrong=invite is None)
            member = await tx.members.by_telegram_id(telegram_user_id)
            if member is not None:
                return await self._start_as_member(tx, member, invite, problem)
            if problem is not None:
                return StartOutcome(StartKind.INVALID, problem=problem)
            assert invite is not None
            await tx.accounts.ensure(telegram_user_id, chat_id, now)
            existing = await self._load(tx, telegram_user_id)
            if existing is not None and existing.invite_id == invite.id:
                await self._save(tx, existing)  # typed text answers the registration again
                return StartOutcome(StartKind.RESUMED, draft=existing)
            data: dict[str, Any] = {"suggested_name": suggested_name.strip()[:200]}
            account = await tx.accounts.get(telegram_user_id)
            # A language chosen earlier (a previous draft, /language) is kept; otherwise the
            # one Telegram suggests is pre-selected and the person confirms it.
            data["suggested_locale"] = (account and account.locale) or suggested_locale
            if invite.country:
                data["country"] = invite.country
                data["fixed_country"] = True
            draft = Draft(telegram_user_id, invite.id, Step.LANGUAGE, data)
            await self._save(tx, draft)
            return StartOutcome(StartKind.STARTED, draft=draft)

    async def _start_as_member(
        self, tx: Tx, member: Member, invite: Invite | None, problem: InviteProblem | None
    ) -> StartOutcome:
        if member.status is MemberStatus.REVOKED:
            return StartOutcome(StartKind.REVOKED)
        if member.status is MemberStatus.PENDING:
            return StartOutcome(StartKind.PENDING)
        if problem is not None or invite is None:
            return StartOutcome(StartKind.INVALID, problem=problem or InviteProblem.UNKNOWN)
        # An already vetted member following a link for further teams joins them at once;
        # the link's country restriction still applies.
        current = {team.id for team, _ in await tx.teams.of_member(member.id)}
        new = [team for team in invite.teams if team.id not in current]
        if not new or (invite.country and invite.country != member.country):
            return StartOutcome(StartKind.ALREADY_MEMBER)
        now = self.clock.now()
        if not await tx.invites.consume(invite.id, now):
            return StartOutcome(StartKind.INVALID, problem=InviteProblem.USED_UP)
        for team in new:
            await tx.teams.add_member(team.id, member.id, invite.team_role, now)
        await record(
            tx,
            now,
            Action.MEMBER_JOIN,
            "member",
            member.id,
            actor=member.telegram_user_id,
            subject=member.telegram_user_id,
            invite=invite.id,
            teams=[team.slug for team in new],
        )
        return StartOutcome(StartKind.JOINED_TEAMS, teams=tuple(team.name for team in new))

    async def current(self, telegram_user_id: int) -> Draft | None:
        async with self.db.transaction() as tx:
            return await self._load(tx, telegram_user_id)

    async def invite_of(self, draft: Draft) -> Invite | None:
        async with self.db.transaction() as tx:
            return await tx.invites.get(draft.invite_id)

    # -- steps -------------------------------------------------------------------------

    async def choose_language(self, telegram_user_id: int, locale: str) -> StepOutcome:
        if locale not in SUPPORTED_LOCALES:
            return StepOutcome(None, Problem.BAD_LANGUAGE)

        def apply(draft: Draft) -> tuple[Draft, Problem | None]:
            return self._advance(draft.with_data(locale=locale)), None

        return await self._step(telegram_user_id, {Step.LANGUAGE}, apply, persist_locale=locale)

    async def consent(self, telegram_user_id: int, agreed: bool) -> StepOutcome:
        """Agreeing moves on; declining deletes the draft: nothing about them is kept."""
        if not agreed:
            async with self.db.transaction() as tx:
                draft = await self._load(tx, telegram_user_id)
                if draft is None or draft.step is not Step.CONSENT:
                    return StepOutcome(draft, Problem.WRONG_STEP if draft else Problem.NO_DRAFT)
                await self._end(tx, telegram_user_id)
            return StepOutcome(None)

        def apply(draft: Draft) -> tuple[Draft, Problem | None]:
            return self._advance(draft.with_data(consent_at=self.clock.now().isoformat())), None

        return await self._step(telegram_user_id, {Step.CONSENT}, apply)

    async def keep_name(self, telegram_user_id: int) -> StepOutcome:
        def apply(draft: Draft) -> tuple[Draft, Problem | None]:
            name = draft.data.get("full_name") or draft.data.get("suggested_name") or ""
            problem = check_text("full_name", name)
            if problem:
                return draft, problem
            return self._advance(draft.with_data(full_name=name)), None

        return await self._step(telegram_user_id, {Step.NAME}, apply)

    async def choose_country(self, telegram_user_id: int, code: str | None) -> StepOutcome:
        """A country button (code) or "another country" (None, then typed)."""

        def apply(draft: Draft) -> tuple[Draft, Problem | None]:
            if code is None:
                return replace(draft, step=Step.COUNTRY_CODE), None
            country = normalize_country(code)
            if country is None:
                return draft, Problem.BAD_COUNTRY
            return self._after_country(draft, country), None

        return await self._step(telegram_user_id, {Step.COUNTRY, Step.COUNTRY_CODE}, apply)

    async def skip_email(self, telegram_user_id: int) -> StepOutcome:
        def apply(draft: Draft) -> tuple[Draft, Problem | None]:
            return self._advance(draft.with_data(email=None)), None

        return await self._step(telegram_user_id, {Step.EMAIL}, apply)

    async def keep_timezone(self, telegram_user_id: int) -> StepOutcome:
        def apply(draft: Draft) -> tuple[Draft, Problem | None]:
            return self._advance(draft.with_data(timezone=self.timezone_for(draft))), None

        return await self._step(telegram_user_id, {Step.TIMEZONE}, apply)

    async def change_timezone(self, telegram_user_id: int) -> StepOutcome:
        def apply(draft: Draft) -> tuple[Draft, Problem | None]:
            return replace(draft, step=Step.TIMEZONE_INPUT), None

        return await self._step(telegram_user_id, {Step.TIMEZONE}, apply)

    async def choose_timezone(self, telegram_user_id: int, name: str) -> StepOutcome:
        def apply(draft: Draft) -> tuple[Draft, Problem | None]:
            resolved = resolve_timezone(name)
            if resolved is None:
                return draft, Problem.BAD_TIMEZONE
            return self._advance(draft.with_data(timezone=resolved)), None

        return await self._step(telegram_user_id, {Step.TIMEZONE, Step.TIMEZONE_INPUT}, apply)

    async def text(self, telegram_user_id: int, text: str) -> StepOutcome:
        """Typed text: meaning depends on the step (name, institution, a country code …)."""

        def apply(draft: Draft) -> tuple[Draft, Problem | None]:
            if draft.step is Step.COUNTRY_CODE:
                country = normalize_country(text)
                if country is None:
                    return draft, Problem.BAD_COUNTRY
                return self._after_country(draft, country), None
            if draft.step is Step.TIMEZONE_INPUT:
                resolved = resolve_timezone(text)
                if resolved is None:
                    return draft, Problem.BAD_TIMEZONE
                return self._advance(draft.with_data(timezone=resolved)), None
            key = TEXT_STEPS[draft.step]
            value = " ".join(clean_text(text).split())
            problem = check_text(key, value)
            if problem:
                return draft, problem
            return self._advance(draft.with_data(**{key: value})), None

        steps = {*TEXT_STEPS, Step.COUNTRY_CODE, Step.TIMEZONE_INPUT}
        return await self._step(telegram_user_id, steps, apply)

    async def edit(self, telegram_user_id: int, step: Step) -> StepOutcome:
        """From the summary, go back to one step; afterwards return to the summary."""

        def apply(draft: Draft) -> tuple[Draft, Problem | None]:
            if step not in EDITABLE or (step is Step.COUNTRY and draft.fixed_country):
                return draft, Problem.WRONG_STEP
            return replace(draft.with_data(editing=True), step=step), None

        return await self._step(telegram_user_id, {Step.SUMMARY}, apply)

    # -- finishing ---------------------------------------------------------------------

    async def submit(self, telegram_user_id: int) -> SubmitOutcome:
        """Turn a confirmed summary into a member; count the invitation's use."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            draft = await self._load(tx, telegram_user_id)
            if draft is None or draft.step is not Step.SUMMARY:
                return SubmitOutcome(SubmitKind.NOT_READY)
            invite = await tx.invites.get(draft.invite_id)
            problem = invite_problem(invite, now)
            if problem is None and not await tx.invites.consume(draft.invite_id, now):
                problem = InviteProblem.USED_UP  # taken by someone else a moment ago
            if problem is not None or invite is None:
                await self._end(tx, telegram_user_id)
                return SubmitOutcome(SubmitKind.INVITE_INVALID, problem=problem)
            status = (
                MemberStatus.ACTIVE if invite.approval is Approval.AUTO else MemberStatus.PENDING
            )
            data = draft.data
            member_id = await tx.members.create(
                now=now,
                telegram_user_id=telegram_user_id,
                full_name=data["full_name"],
                country=data["country"],
                institution=data["institution"],
                position=data["position"],
                email=data.get("email"),
                status=status.value,
                consent_version=PRIVACY_NOTICE_VERSION,
                consent_at=_parse_time(data["consent_at"]),
                invite_id=invite.id,
            )
            await tx.accounts.set_preferences(
                telegram_user_id, now, locale=data["locale"], timezone=data["timezone"]
            )
            for team in invite.teams:
                await tx.teams.add_member(team.id, member_id, invite.team_role, now)
            await self._end(tx, telegram_user_id)
            await record(
                tx,
                now,
                Action.MEMBER_REGISTER,
                "member",
                member_id,
                actor=telegram_user_id,
                subject=telegram_user_id,
                invite=invite.id,
                status=status.value,
                consent_version=PRIVACY_NOTICE_VERSION,
            )
            member = await tx.members.get(member_id)
            assert member is not None
            approvers: tuple[Recipient, ...] = ()
            if status is MemberStatus.PENDING:
                approvers = tuple(await approvers_for(tx, member.country))
        teams = tuple(team.name for team in invite.teams)
        kind = SubmitKind.ACTIVE if status is MemberStatus.ACTIVE else SubmitKind.PENDING
        return SubmitOutcome(kind, member=member, approvers=approvers, teams=teams)

    # -- helpers -----------------------------------------------------------------------

    def timezone_for(self, draft: Draft) -> str:
        chosen = draft.data.get("timezone")
        if chosen:
            return str(chosen)
        country = draft.data.get("country")
        return (
            default_timezone(country, self.fallback_timezone) if country else self.fallback_timezone
        )

    def _after_country(self, draft: Draft, country: str) -> Draft:
        changed = draft.data.get("country") != country
        updated = draft.with_data(country=country)
        if changed and "timezone" in draft.data:
            # A new country suggests a new zone: ask again rather than keep a stale one.
            updated = replace(updated.with_data(timezone=None, editing=False), step=Step.TIMEZONE)
            return updated
        return self._advance(updated)

    def _advance(self, draft: Draft) -> Draft:
        if draft.editing:
            return replace(draft.with_data(editing=False), step=Step.SUMMARY)
        base = {Step.COUNTRY_CODE: Step.COUNTRY, Step.TIMEZONE_INPUT: Step.TIMEZONE}.get(
            draft.step, draft.step
        )
        following = ORDER[ORDER.index(base) + 1]
        if following is Step.COUNTRY and draft.fixed_country:
            following = Step.INSTITUTION
        return replace(draft, step=following)

    async def _step(
        self,
        telegram_user_id: int,
        allowed: set[Step],
        apply: Any,
        persist_locale: str | None = None,
    ) -> StepOutcome:
        async with self.db.transaction() as tx:
            draft = await self._load(tx, telegram_user_id)
            if draft is None:
                return StepOutcome(None, Problem.NO_DRAFT)
            if draft.step not in allowed:
                return StepOutcome(draft, Problem.WRONG_STEP)
            updated, problem = apply(draft)
            if problem is None:
                await self._save(tx, updated)
                if persist_locale:
                    await tx.accounts.set_preferences(
                        telegram_user_id, self.clock.now(), locale=persist_locale
                    )
            return StepOutcome(updated if problem is None else draft, problem)

    async def _load(self, tx: Tx, telegram_user_id: int) -> Draft | None:
        found = await tx.registrations.get(telegram_user_id)
        if found is None:
            return None
        invite_id, step, data = found
        return Draft(telegram_user_id, invite_id, Step(step), data)

    async def _save(self, tx: Tx, draft: Draft) -> None:
        await tx.registrations.save(
            draft.telegram_user_id, draft.invite_id, draft.step.value, draft.data, self.clock.now()
        )
        # The person's next message answers the registration; each step renews the expiry.
        await self.pending.ask_in(tx, draft.telegram_user_id, Feature.REGISTRATION)

    async def _end(self, tx: Tx, telegram_user_id: int) -> None:
        await tx.registrations.delete(telegram_user_id)
        await tx.pending.delete(telegram_user_id, Feature.REGISTRATION.value)

    async def cancel(self, telegram_user_id: int) -> None:
        """/cancel during a registration: the draft goes; the invitation link starts anew."""
        async with self.db.transaction() as tx:
            await self._end(tx, telegram_user_id)


async def approvers_for(tx: Tx, country: str) -> list[Recipient]:
    """The secretariat admins and the country's focal points that the bot can write to."""
    ids = await tx.roles.holders(Role.ADMIN) + await tx.roles.holders(Role.FOCAL_POINT, country)
    return await tx.roles.recipients(ids)


def _parse_time(value: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(value)
