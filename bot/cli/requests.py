"""Requests with a deadline from the command line.

convene request create --file request.yaml|toml | --title T --deadline "2027-09-10" --to countries=RS,MK
                       [--body B] [--answer text|choice|documents] [--option O …] [--accept-late]
                       [--remind 7d,1d,2h] [--skip-days-off|--no-skip-days-off] [--timezone TZ]
convene request list [--all]
convene request deadline ID "2027-09-20 17:00"
convene request cancel ID
convene request mark ID PARTY not-applicable|pending      (PARTY: RS, member:12, team:3)
(Their export, `convene export request ID`, is in bot/cli/record.py.)
"""

from __future__ import annotations

import argparse
import re
from typing import Any

from bot.cli.common import Commands, Parsers, fail
from bot.cli.input import Fields, InputError, read_data_file, row_number
from bot.config import Settings


def add_request(sub: Any) -> None:
    request = sub.add_parser("request", help="requests with a deadline").add_subparsers(
        dest="action", required=True
    )
    create = request.add_parser("create", help="send a request and plan its reminders")
    create.add_argument("--file", help="a YAML or TOML file with the request")
    create.add_argument("--title")
    create.add_argument("--body", default="")
    create.add_argument("--deadline", help="local date [time]; a date means 23:59 that day")
    create.add_argument("--timezone", help="IANA zone (default CONVENE_TIMEZONE)")
    create.add_argument(
        "--to", action="append", default=[], help="countries=RS,MK teams=slug members=12"
    )
    create.add_argument("--answer", choices=["text", "choice", "documents"], default="text")
    create.add_argument("--option", action="append", default=[], help="a choice (repeatable)")
    create.add_argument("--accept-late", action="store_true", help="accept and mark late answers")
    create.add_argument("--remind", help="cadence before the deadline, e.g. 7d,1d,2h")
    create.add_argument(
        "--skip-days-off",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="no reminders on weekends and public holidays (default CONVENE_SKIP_DAYS_OFF)",
    )
    create.add_argument("--language", default="en", help="language of the texts")
    listing = request.add_parser("list")
    listing.add_argument("--all", action="store_true", help="withdrawn requests too")
    deadline = request.add_parser("deadline", help="move the deadline (reminders re-planned)")
    deadline.add_argument("request_id", type=row_number)
    deadline.add_argument("deadline")
    request.add_parser("cancel", help="withdraw a request").add_argument(
        "request_id", type=row_number
    )
    mark = request.add_parser("mark", help="set a party not applicable, or pending again")
    mark.add_argument("request_id", type=row_number)
    mark.add_argument("party")
    mark.add_argument("status", choices=["not-applicable", "pending"])


def _requests(settings: Settings, db: Any, clock: Any) -> Any:
    from bot.domain.requests import Requests
    from bot.services import planner_for

    return Requests(db, clock, planner_for(settings))


def _request_problem(error: Any, request_id: int) -> InputError:
    """A RequestError from a command on request #N, said for the operator."""
    from bot.domain.requests import RequestProblem

    problem = error.problem
    if problem is RequestProblem.NOT_FOUND:
        return InputError(f"there is no request #{request_id}")
    if problem is RequestProblem.CANCELLED:
        return InputError(f"request #{request_id} is withdrawn")
    if problem is RequestProblem.PARTY:
        return InputError(f"PARTY: {error.value!r} is not owing an answer to request #{request_id}")
    if problem is RequestProblem.DEADLINE_PAST:
        return InputError("DEADLINE: it has passed already; give a later one")
    detail = f" ({error.value})" if error.value else ""
    return InputError(f"request #{request_id}: {problem.value.replace('_', ' ')}{detail}")


async def request_create(
    args: argparse.Namespace, settings: Settings, db: Any, roster: Any, clock: Any
) -> int:
    from bot.domain.notices import NoticeError, parse_audience
    from bot.domain.request_models import AnswerKind
    from bot.domain.requests import RequestError, RequestSpec
    from bot.domain.schedule import parse_offsets

    given = {
        "title": args.title,
        "body": args.body,
        "deadline": args.deadline,
        "timezone": args.timezone,
        "to": " ".join(args.to),
        "answer": args.answer,
        "options": args.option,
        "accept_late": args.accept_late,
        "remind": args.remind,
        "language": args.language,
        "skip_days_off": args.skip_days_off,
    }
    if args.file:
        # The file's fields, and the options for what it does not say.
        values = read_data_file(args.file)
        given = {key: value for key, value in given.items() if value not in (None, "", [], False)}
        fields = Fields({**given, **values}, args.file)
    else:
        fields = Fields(given, None)
    timezone = fields.zone("timezone", default=settings.timezone)
    title = fields.text("title")
    deadline = fields.moment("deadline", timezone, end_of_day=True, required=True)
    assert deadline is not None
    key = "to" if fields.values.get("to") else "addressees"
    to = fields.values.get(key)
    if isinstance(to, dict):
        parts = Fields(to, fields.name(key))
        words = [f"{kind}={','.join(parts.words(kind))}" for kind in to]
    else:
        words = list(fields.words(key)) if isinstance(to, list) else fields.text(key).split()
    try:
        audience = parse_audience(words)
    except NoticeError:
        raise fields.error("to", f"not understood: {' '.join(words)!r}") from None
    remind = fields.text("remind")
    try:
        offsets = parse_offsets(remind) if remind else None
    except ValueError as error:
        raise fields.error("remind", str(error)) from None
    translations = {
        locale: {key: texts.text(key) for key in ("title", "body") if key in texts.values}
        for locale, texts in fields.fields_by_language("translations").items()
    }
    skip_days_off = fields.optional_flag("skip_days_off")
    spec = RequestSpec(
        title=title,
        body=fields.text("body"),
        deadline=deadline,
        timezone=timezone,
        audience=audience,
        answer_kind=fields.choice(AnswerKind, "answer", default=AnswerKind.TEXT),
        options=fields.texts("options"),
        accept_late=fields.flag("accept_late"),
        ref_locale=fields.text("language", default="en"),
        translations=translations,
        reminder_offsets=offsets,
        skip_days_off=skip_days_off,
    )
    requests = _requests(settings, db, clock)
    try:
        request_id, notice_id, count = await requests.create(spec, created_by=None)
    except RequestError as error:
        detail = f" ({error.value})" if error.value else ""
        return fail(f"the request is not valid: {error.problem.value.replace('_', ' ')}{detail}")
    print(f"Request #{request_id} {title!r} created, due {deadline.isoformat(timespec='minutes')}.")
    print(
        f"Sent to:  {count} member{'s' if count != 1 else ''} (notice #{notice_id}; the running bot sends it)"
    )
    return 0


async def request_list(
    args: argparse.Namespace, settings: Settings, db: Any, roster: Any, clock: Any
) -> int:
    requests = _requests(settings, db, clock)
    found = await requests.listing(open_only=not args.all)
    for request in found:
        report = await requests.report(request.id)
        answered = sum(1 for r in report.responses if r.answered) if report else 0
        total = len(report.responses) if report else 0
        print(
            f"{request.id}\t{request.deadline.isoformat(timespec='minutes')}\t"
            f"{request.status.value}\t{answered}/{total}\t{request.title}"
        )
    print(f"({len(found)} request{'s' if len(found) != 1 else ''})")
    return 0


async def request_deadline(
    args: argparse.Namespace, settings: Settings, db: Any, roster: Any, clock: Any
) -> int:
    from bot.domain.meetings import parse_local_datetime
    from bot.domain.requests import RequestError

    requests = _requests(settings, db, clock)
    request = await requests.get(args.request_id)
    if request is None:
        return fail(f"there is no request #{args.request_id}")
    deadline = parse_local_datetime(args.deadline, request.timezone, end_of_day=True)
    if deadline is None:
        return fail(
            f"DEADLINE: not a date: cannot read {args.deadline!r} as a date and time in "
            f"{request.timezone} (e.g. 2027-09-20 or 2027-09-20 17:00)"
        )
    try:
        request, told = await requests.set_deadline(args.request_id, deadline)
    except RequestError as error:
        raise _request_problem(error, args.request_id) from None
    print(f"Request #{request.id} is now due {request.deadline.isoformat(timespec='minutes')}.")
    print(f"Reminders re-planned; {told} member{'s' if told != 1 else ''} told of the change.")
    return 0


async def request_cancel(
    args: argparse.Namespace, settings: Settings, db: Any, roster: Any, clock: Any
) -> int:
    from bot.domain.requests import RequestError

    requests = _requests(settings, db, clock)
    try:
        await requests.cancel(args.request_id)
    except RequestError as error:
        raise _request_problem(error, args.request_id) from None
    print(f"Request #{args.request_id} withdrawn; its reminders will not be sent.")
    return 0


async def request_mark(
    args: argparse.Namespace, settings: Settings, db: Any, roster: Any, clock: Any
) -> int:
    from bot.domain.request_models import ResponseStatus
    from bot.domain.requests import RequestError, normalize_party

    requests = _requests(settings, db, clock)
    status = (
        ResponseStatus.NOT_APPLICABLE if args.status == "not-applicable" else ResponseStatus.PENDING
    )
    if not re.fullmatch(r"(country:)?[A-Za-z]{2}|(member|team):[0-9]{1,9}", args.party.strip()):
        raise InputError(
            f"PARTY: {args.party!r} is not a country code (RS), member:NUMBER or team:NUMBER"
        )
    try:
        response = await requests.mark(args.request_id, normalize_party(args.party), status)
    except RequestError as error:
        raise _request_problem(error, args.request_id) from None
    print(f"Request #{args.request_id}: {response.party} is now {response.status.value}.")
    return 0


PARSERS: Parsers = {"request": add_request}

COMMANDS: Commands = {
    ("request", "create"): request_create,
    ("request", "list"): request_list,
    ("request", "deadline"): request_deadline,
    ("request", "cancel"): request_cancel,
    ("request", "mark"): request_mark,
}
