"""Requests: what the secretariat asks for by a deadline, and the answers owed to it.

Addressed to countries, a request is owed once per country, and any active member of that
country's delegation may answer it; addressed to members, once per member. A team in the
addressees stands for its members, each of whom owes an answer (an action-plan item whose
responsible party is a team is owed once per team: see bot/domain/plans.py).

An answer can be amended until the deadline. After it, an answer is refused unless the
request accepts late answers, in which case it is recorded as late (bot/domain/answers.py
records answers; bot/domain/request_status.py says who owes what).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.config import is_valid_timezone
from bot.domain.access import Scope
from bot.domain.answers import (
    Answered,
    OwedAnswer,
    member_parties,
    notify_answerers,
    owed_answer,
    owed_answers,
    record_answer,
    withdraw_answer,
)
from bot.domain.audit import Action, record
from bot.domain.clock import Clock
from bot.domain.models import Audience, Member, MemberStatus
from bot.domain.notices import NoticeError, check_audience
from bot.domain.reminders import Planner, request_subject
from bot.domain.request_models import (
    AnswerKind,
    Party,
    Request,
    RequestStatus,
    Response,
    ResponseStatus,
)
from bot.domain.request_status import RequestReport, build_report, escalation_of
from bot.domain.values import clean_file_name, clean_text
from bot.i18n import SUPPORTED_LOCALES
from storage.db import Database
from storage.requests import request_values
from storage.tx import Tx

MAX_TITLE = 300
MAX_BODY = 3500
MAX_ANSWER = 3500
MAX_OPTIONS = 8
MAX_OPTION = 40  # a button label
MAX_FILES = 20
MAX_MIME_TYPE = 120  # storage/schema.py: response_files.mime_type


class RequestProblem(StrEnum):
    EMPTY_TITLE = "empty_title"
    TOO_LONG = "too_long"
    DEADLINE_PAST = "deadline_past"
    TIMEZONE = "timezone"
    AUDIENCE = "audience"
    NOBODY = "nobody"
    OPTIONS = "options"
    LOCALE = "locale"
    NOT_FOUND = "not_found"
    CANCELLED = "cancelled"
    NOT_YOURS = "not_yours"
    LATE = "late"  # the deadline passed and late answers are not accepted
    WRONG_KIND = "wrong_kind"  # e.g. text sent to a request that wants a choice
    BAD_CHOICE = "bad_choice"
    EMPTY = "empty"
    TOO_MANY_FILES = "too_many_files"
    PARTY = "party"


class RequestError(ValueError):
    def __init__(self, problem: RequestProblem, value: str = "") -> None:
        self.problem = problem
        self.value = value
        super().__init__(f"{problem.value}: {value}")


@dataclass(frozen=True)
class RequestSpec:
    title: str
    body: str
    deadline: datetime
    timezone: str
    audience: Audience
    answer_kind: AnswerKind = AnswerKind.TEXT
    options: tuple[str, ...] = ()
    accept_late: bool = False
    ref_locale: str = "en"
    translations: dict[str, dict[str, Any]] | None = None
    reminder_offsets: tuple[int, ...] | None = None
    skip_days_off: bool | None = None


def check_texts(title: str, body: str, translations: dict[str, Any] | None, ref: str) -> None:
    if not title.strip():
        raise RequestError(RequestProblem.EMPTY_TITLE)
    if len(title) > MAX_TITLE:
        raise RequestError(RequestProblem.TOO_LONG, str(MAX_TITLE))
    if len(body) > MAX_BODY:
        raise RequestError(RequestProblem.TOO_LONG, str(MAX_BODY))
    for locale, texts in (translations or {}).items():
        if locale not in SUPPORTED_LOCALES or locale == ref:
            raise RequestError(RequestProblem.LOCALE, locale)
        if len(str(texts.get("body", ""))) > MAX_BODY:
            raise RequestError(RequestProblem.TOO_LONG, str(MAX_BODY))
    if ref not in SUPPORTED_LOCALES:
        raise RequestError(RequestProblem.LOCALE, ref)


def check_options(kind: AnswerKind, options: tuple[str, ...]) -> tuple[str, ...]:
    options = tuple(o.strip() for o in options if o.strip())
    if kind is AnswerKind.CHOICE:
        if not 2 <= len(options) <= MAX_OPTIONS or any(len(o) > MAX_OPTION for o in options):
            raise RequestError(RequestProblem.OPTIONS, f"2-{MAX_OPTIONS} × {MAX_OPTION}")
        if len(set(options)) != len(options):
            raise RequestError(RequestProblem.OPTIONS, "duplicate")
    elif options:
        raise RequestError(RequestProblem.OPTIONS, kind.value)
    return options


async def parties_of(tx: Tx, audience: Audience, *, teams_as_parties: bool) -> list[str]:
    """The parties an audience owes answers as: countries and members as named; a team as
    itself (action plans) or as its active members (requests)."""
    if audience.roles or audience.everyone or audience.meeting is not None:
        raise RequestError(RequestProblem.AUDIENCE)
    try:
        audience = await check_audience(tx, audience)
    except NoticeError as error:
        raise RequestError(RequestProblem.AUDIENCE, error.value) from error
    parties = [str(Party.country(c)) for c in audience.countries]
    parties += [str(Party.member(m)) for m in audience.members]
    team_ids = await tx.teams.ids(list(audience.teams))
    teams = [str(Party.team(team_ids[slug])) for slug in audience.teams]
    if teams_as_parties:
        parties += teams
    else:
        found = await tx.audience.answerers(teams)
        parties += [str(Party.member(m.id)) for people in found.values() for m in people]
    return list(dict.fromkeys(parties))


class Requests:
    def __init__(self, db: Database, clock: Clock, planner: Planner) -> None:
        self.db = db
        self.clock = clock
        self.planner = planner

    # -- the secretariat ------------------------------------------------------------------

    async def create(
        self, spec: RequestSpec, *, created_by: int | None, progress_chat_id: int | None = None
    ) -> tuple[int, int, int]:
        """Make a request, send its card to everyone who may answer, plan the reminders.
        Returns (request id, notice id, number of recipients)."""
        now = self.clock.now()
        # Whole seconds: reminders name their deadline as a Unix time (bot/domain/reminders.py).
        spec = replace(
            spec,
            deadline=spec.deadline.replace(microsecond=0),
            title=clean_text(spec.title),
            body=clean_text(spec.body),
        )
        check_texts(spec.title, spec.body, spec.translations, spec.ref_locale)
        options = check_options(spec.answer_kind, spec.options)
        if spec.deadline.tzinfo is None or spec.deadline <= now:
            raise RequestError(RequestProblem.DEADLINE_PAST)
        if not is_valid_timezone(spec.timezone):
            raise RequestError(RequestProblem.TIMEZONE, spec.timezone)
        async with self.db.transaction() as tx:
            parties = await parties_of(tx, spec.audience, teams_as_parties=False)
            if not parties:
                raise RequestError(RequestProblem.NOBODY)
            request_id = await tx.requests.create(
                request_values(
                    title=spec.title.strip(),
                    body=spec.body.strip(),
                    ref_locale=spec.ref_locale,
                    translations=spec.translations or {},
                    deadline=spec.deadline,
                    timezone=spec.timezone,
                    audience=spec.audience,
                    answer_kind=spec.answer_kind,
                    options=options,
                    accept_late=spec.accept_late,
                    reminder_offsets=spec.reminder_offsets,
                    skip_days_off=spec.skip_days_off,
                    created_by=created_by,
                ),
                now,
            )
            await tx.responses.add_many(request_id, parties, now)
            request = await tx.requests.get(request_id)
            assert request is not None
            notice_id, count = await notify_answerers(
                tx,
                request,
                parties,
                now,
                created_by=created_by,
                progress_chat_id=progress_chat_id,
            )
            if count == 0:
                raise RequestError(RequestProblem.NOBODY)
            await self.planner.plan_request(tx, request, now)
            await record(
                tx,
                now,
                Action.REQUEST_CREATE,
                "request",
                request_id,
                actor=created_by,
                notice=notice_id,
                parties=len(parties),
                recipients=count,
                deadline=spec.deadline.isoformat(),
                answer_kind=spec.answer_kind.value,
            )
        return request_id, notice_id, count

    async def get(self, request_id: int) -> Request | None:
        async with self.db.transaction() as tx:
            return await tx.requests.get(request_id)

    async def listing(self, *, open_only: bool = True) -> list[Request]:
        async with self.db.transaction() as tx:
            return await tx.requests.listing(open_only=open_only)

    async def set_deadline(
        self,
        request_id: int,
        deadline: datetime,
        *,
        notify: bool = True,
        changed_by: int | None = None,
    ) -> tuple[Request, int]:
        """Move the deadline: re-plan the reminders, and tell those who still owe an answer.
        Returns the request and how many were told."""
        now = self.clock.now()
        if deadline.tzinfo is None or deadline <= now:
            raise RequestError(RequestProblem.DEADLINE_PAST)
        deadline = deadline.replace(microsecond=0)
        async with self.db.transaction() as tx:
            old = await self._open(tx, request_id)
            if old.deadline == deadline:
                return old, 0
            await tx.requests.update(request_id, now, deadline=deadline, escalated_at=None)
            request = await tx.requests.get(request_id)
            assert request is not None
            await self.planner.replan_request(tx, request, now)
            count = 0
            owed = [r.party for r in await tx.responses.of_requests([request_id]) if r.owed]
            if notify and owed:
                _, count = await notify_answerers(
                    tx, request, owed, now, changes={"deadline_from": old.deadline.isoformat()}
                )
            await record(
                tx,
                now,
                Action.REQUEST_DEADLINE,
                "request",
                request_id,
                actor=changed_by,
                old=old.deadline.isoformat(),
                new=deadline.isoformat(),
                told=count,
            )
            return request, count

    async def cancel(self, request_id: int, *, cancelled_by: int | None = None) -> Request:
        now = self.clock.now()
        async with self.db.transaction() as tx:
            await self._open(tx, request_id)
            await tx.requests.update(request_id, now, status=RequestStatus.CANCELLED.value)
            await record(tx, now, Action.REQUEST_CANCEL, "request", request_id, actor=cancelled_by)
            await tx.reminders.drop_planned(request_subject(request_id))
            request = await tx.requests.get(request_id)
            assert request is not None
            return request

    async def mark(
        self,
        request_id: int,
        party: str,
        status: ResponseStatus,
        *,
        marked_by: int | None = None,
    ) -> Response:
        """The secretariat sets a party's status: not applicable, or pending again."""
        now = self.clock.now()
        if status not in (ResponseStatus.NOT_APPLICABLE, ResponseStatus.PENDING):
            raise RequestError(RequestProblem.PARTY, status.value)
        async with self.db.transaction() as tx:
            request = await self._open(tx, request_id)
            responses = {r.party: r for r in await tx.responses.of_requests([request_id])}
            response = responses.get(party)
            if response is None:
                raise RequestError(RequestProblem.PARTY, party)
            await tx.responses.update(response.id, status=status.value)
            await record(
                tx,
                now,
                Action.REQUEST_MARK,
                "request",
                request_id,
                actor=marked_by,
                party=party,
                status=status.value,
            )
            subject = request_subject(request_id)
            await tx.reminders.drop_planned(subject, response_ids=[response.id])
            fresh = await tx.responses.get(response.id)
            assert fresh is not None
            if status is ResponseStatus.PENDING:
                await self.planner.plan_request(tx, request, now, [fresh])
            return fresh

    async def report(self, request_id: int, scope: Scope | None = None) -> RequestReport | None:
        """The request's status; within `scope`, only the answers owed by parties the viewer
        oversees, and None if there are none."""
        async with self.db.read() as tx:  # a report: on a reader connection
            request = await tx.requests.get(request_id)
            if request is None:
                return None
            return await build_report(tx, request, scope)

    async def escalation_view(
        self, request_id: int, telegram_user_id: int
    ) -> tuple[RequestReport, list[Response]] | None:
        """For a focal point or team chair: the request, and the answers still owed by their
        countries or teams. None if nothing concerns them any more."""
        async with self.db.transaction() as tx:
            request = await tx.requests.get(request_id)
            if request is None or request.status is not RequestStatus.OPEN:
                return None
            return await escalation_of(tx, request, telegram_user_id)

    async def _open(self, tx: Tx, request_id: int) -> Request:
        request = await tx.requests.get(request_id, lock=True)
        if request is None:
            raise RequestError(RequestProblem.NOT_FOUND, str(request_id))
        if request.status is RequestStatus.CANCELLED:
            raise RequestError(RequestProblem.CANCELLED, str(request_id))
        return request

    # -- members ----------------------------------------------------------------------------

    async def mine(self, telegram_user_id: int) -> list[OwedAnswer]:
        """What the member may answer: upcoming, and overdue ones still owed (recent)."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            member = await tx.members.by_telegram_id(telegram_user_id)
            if member is None or member.status is not MemberStatus.ACTIVE:
                return []
            return await owed_answers(tx, member, now)

    async def waiting_for_documents(self, telegram_user_id: int) -> list[OwedAnswer]:
        """The documents requests the member may send files to now: open, addressed to
        them, before the deadline or accepting late answers. A file sent without saying
        for which request answers the only one, if there is only one."""
        now = self.clock.now()
        return [
            owed
            for owed in await self.mine(telegram_user_id)
            if owed.request.answer_kind is AnswerKind.DOCUMENTS
            and owed.request.accepts_answers(now)
        ]

    async def view(self, request_id: int, telegram_user_id: int) -> OwedAnswer:
        async with self.db.transaction() as tx:
            request, response, member = await self._answerable(
                tx, request_id, telegram_user_id, change=False
            )
            return await owed_answer(tx, request, response, member)

    async def answer_choice(self, request_id: int, telegram_user_id: int, index: int) -> Answered:
        async with self.db.transaction() as tx:
            request, response, member = await self._answerable(tx, request_id, telegram_user_id)
            if request.answer_kind is not AnswerKind.CHOICE:
                raise RequestError(RequestProblem.WRONG_KIND, request.answer_kind.value)
            if not 0 <= index < len(request.options):
                raise RequestError(RequestProblem.BAD_CHOICE, str(index))
            if response.answered and response.choice == index:
                return Answered(await owed_answer(tx, request, response, member), False, False)
            return await record_answer(
                tx, self.clock.now(), request, response, member, choice=index
            )

    async def answer_text(self, request_id: int, telegram_user_id: int, text: str) -> Answered:
        text = clean_text(text).strip()
        if not text:
            raise RequestError(RequestProblem.EMPTY)
        if len(text) > MAX_ANSWER:
            raise RequestError(RequestProblem.TOO_LONG, str(MAX_ANSWER))
        async with self.db.transaction() as tx:
            request, response, member = await self._answerable(tx, request_id, telegram_user_id)
            if request.answer_kind is not AnswerKind.TEXT:
                raise RequestError(RequestProblem.WRONG_KIND, request.answer_kind.value)
            if response.answered and response.text == text:
                return Answered(await owed_answer(tx, request, response, member), False, False)
            return await record_answer(tx, self.clock.now(), request, response, member, text=text)

    async def add_document(
        self,
        request_id: int,
        telegram_user_id: int,
        *,
        file_id: str,
        file_unique_id: str,
        file_name: str | None,
        mime_type: str | None,
        file_size: int | None,
    ) -> Answered:
        """One more file in a documents answer (the answer is all the files sent). The name
        is kept as the database can hold it (bot/domain/values.py)."""
        file_name = clean_file_name(file_name)
        mime_type = clean_file_name(mime_type, MAX_MIME_TYPE)
        async with self.db.transaction() as tx:
            request, response, member = await self._answerable(tx, request_id, telegram_user_id)
            if request.answer_kind is not AnswerKind.DOCUMENTS:
                raise RequestError(RequestProblem.WRONG_KIND, request.answer_kind.value)
            if any(f.file_unique_id == file_unique_id for f in response.files):
                return Answered(await owed_answer(tx, request, response, member), False, False)
            if len(response.files) >= MAX_FILES:
                raise RequestError(RequestProblem.TOO_MANY_FILES, str(MAX_FILES))
            file_row = await tx.responses.add_file(
                response.id,
                self.clock.now(),
                file_id=file_id,
                file_unique_id=file_unique_id,
                file_name=file_name,
                mime_type=mime_type,
                file_size=file_size,
                uploaded_by=member.id,
            )
            answered = await record_answer(tx, self.clock.now(), request, response, member)
            return replace(answered, file_row_id=file_row)

    async def clear_documents(self, request_id: int, telegram_user_id: int) -> OwedAnswer:
        """Withdraw the files given so far (to send others); the answer is owed again."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            request, response, member = await self._answerable(tx, request_id, telegram_user_id)
            if request.answer_kind is not AnswerKind.DOCUMENTS:
                raise RequestError(RequestProblem.WRONG_KIND, request.answer_kind.value)
            return await withdraw_answer(tx, now, self.planner, request, response, member)

    async def set_file_path(self, file_row_id: int, path: str) -> None:
        async with self.db.transaction() as tx:
            await tx.responses.set_file_path(file_row_id, path)

    async def _answerable(
        self, tx: Tx, request_id: int, telegram_user_id: int, *, change: bool = True
    ) -> tuple[Request, Response, Member]:
        """The request, the answer this person may give, and who they are; RequestError if
        they may not answer it, or (`change`) not any more: past the deadline, where late
        answers are not accepted, an answer can be neither given nor amended."""
        request = await tx.requests.get(request_id, lock=True)
        if request is None:
            raise RequestError(RequestProblem.NOT_FOUND, str(request_id))
        if request.status is RequestStatus.CANCELLED:
            raise RequestError(RequestProblem.CANCELLED)
        member = await tx.members.by_telegram_id(telegram_user_id)
        if member is None or member.status is not MemberStatus.ACTIVE:
            raise RequestError(RequestProblem.NOT_YOURS)
        parties = await member_parties(tx, member)
        responses = {r.party: r for r in await tx.responses.of_requests([request_id])}
        response = next((responses[p] for p in parties if p in responses), None)
        if response is None or response.status is ResponseStatus.NOT_APPLICABLE:
            raise RequestError(RequestProblem.NOT_YOURS)
        if change and self.clock.now() > request.deadline and not request.accept_late:
            raise RequestError(RequestProblem.LATE)
        return request, response, member

    async def check_open(self, request_id: int, telegram_user_id: int) -> OwedAnswer:
        """View, refusing as an answer would: asked before waiting for typed text or files."""
        async with self.db.transaction() as tx:
            request, response, member = await self._answerable(tx, request_id, telegram_user_id)
            return await owed_answer(tx, request, response, member)


def normalize_party(text: str) -> str:
    """ "RS", "country:RS", "member:12", "team:3" → the stored form."""
    party = Party.read(text)
    if party is None:
        raise RequestError(RequestProblem.PARTY, text)
    return str(party)
