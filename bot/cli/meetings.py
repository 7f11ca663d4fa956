"""Meetings from the command line.

convene meeting create --file meeting.yaml|toml | --title T --start "2026-12-10 09:30" …
convene meeting list [--all]

Meetings created here are queued in the database; the running bot sends the invitations
within a second or two (its delivery worker polls the queue). Their export is
`convene export meeting ID` (bot/cli/record.py).
"""

from __future__ import annotations

import argparse
from typing import Any

from bot.cli.common import Commands, Parsers
from bot.cli.input import Fields, InputError, read_data_file, row_number
from bot.config import Settings


def add_meeting(sub: Any) -> None:
    meeting = sub.add_parser("meeting", help="meetings").add_subparsers(
        dest="action", required=True
    )
    create_meeting = meeting.add_parser("create", help="announce a meeting and invite")
    create_meeting.add_argument("--file", help="a YAML or TOML file with the meeting")
    create_meeting.add_argument("--title")
    create_meeting.add_argument("--description", default="")
    create_meeting.add_argument("--agenda", default="")
    create_meeting.add_argument("--start", help="local date and time, e.g. 2026-12-10 09:30")
    create_meeting.add_argument("--end", help="local date and time")
    create_meeting.add_argument("--timezone", help="IANA zone (default CONVENE_TIMEZONE)")
    create_meeting.add_argument(
        "--mode", choices=["in_person", "online", "hybrid"], default="in_person"
    )
    create_meeting.add_argument("--venue")
    create_meeting.add_argument("--city")
    create_meeting.add_argument("--host-country")
    create_meeting.add_argument("--link")
    create_meeting.add_argument("--team", action="append", default=[])
    create_meeting.add_argument("--country", action="append", default=[])
    create_meeting.add_argument("--member", action="append", type=row_number, default=[])
    create_meeting.add_argument("--deadline", help="local date [time]; default 7 days before")
    create_meeting.add_argument("--tentative", action="store_true")
    create_meeting.add_argument("--comment", action="store_true", help="ask for a comment")
    create_meeting.add_argument("--language", default="en", help="language of the texts")
    create_meeting.add_argument("--remind", help="reminders before the meeting, e.g. 2d,1h")
    list_meetings = meeting.add_parser("list")
    list_meetings.add_argument("--all", action="store_true", help="past meetings too")


def _offsets(fields: Fields, key: str) -> tuple[int, ...] | None:
    from bot.domain.schedule import parse_offsets

    text = fields.text(key)
    if not text:
        return None
    try:
        return parse_offsets(text)
    except ValueError as error:
        raise fields.error(key, str(error)) from None


def meeting_spec_from(values: dict[str, Any], default_timezone: str, where: str | None) -> Any:
    """A MeetingSpec from a file's fields (`where` is its path) or from the options (None);
    dates are local to the meeting's time zone. Every field is checked for its type."""
    from bot.domain.meetings import MeetingSpec, default_deadline
    from bot.domain.models import Audience, MeetingMode, MeetingText

    fields = Fields(values, where)
    timezone = fields.zone("timezone", default=default_timezone)
    mode = fields.choice(MeetingMode, "mode", default=MeetingMode.IN_PERSON)
    invite = Fields(fields.mapping("invite"), fields.name("invite") if where else None)
    if not invite.values:
        invite = fields
    audience = Audience(
        teams=invite.words("teams"),
        countries=tuple(c.upper() for c in invite.words("countries")),
        members=invite.numbers("members"),
    )
    starts_at = fields.required_moment("start", timezone)
    translations = {
        locale: MeetingText(texts.text("title"), texts.text("description"), texts.text("agenda"))
        for locale, texts in fields.fields_by_language("translations").items()
    }
    return MeetingSpec(
        title=fields.text("title"),
        description=fields.text("description"),
        agenda=fields.text("agenda"),
        ref_locale=fields.text("language", "reference_locale", default="en"),
        translations=translations,
        starts_at=starts_at,
        ends_at=fields.required_moment("end", timezone),
        timezone=timezone,
        mode=mode,
        venue=fields.optional_text("venue"),
        city=fields.optional_text("city"),
        host_country=fields.optional_text("host_country"),
        online_url=fields.optional_text("link", "online_url"),
        audience=audience,
        rsvp_deadline=fields.moment("deadline", timezone, end_of_day=True)
        or default_deadline(starts_at, timezone),
        tentative=fields.flag("tentative"),
        ask_comment=fields.flag("ask_comment", "comment"),
        reminder_offsets=_offsets(fields, "remind"),
    )


async def meeting_create(
    args: argparse.Namespace, settings: Settings, db: Any, roster: Any, clock: Any
) -> int:
    from bot.domain.meetings import MeetingError, Meetings
    from bot.services import planner_for

    if args.file:
        values = read_data_file(args.file)
    else:
        values = {
            "title": args.title,
            "description": args.description,
            "agenda": args.agenda,
            "start": args.start,
            "end": args.end,
            "timezone": args.timezone,
            "mode": args.mode,
            "venue": args.venue,
            "city": args.city,
            "host_country": args.host_country,
            "link": args.link,
            "teams": args.team,
            "countries": args.country,
            "members": args.member,
            "deadline": args.deadline,
            "tentative": args.tentative,
            "ask_comment": args.comment,
            "language": args.language,
            "remind": args.remind,
        }
    spec = meeting_spec_from(values, settings.timezone, args.file)
    try:
        outcome = await Meetings(db, clock, planner_for(settings)).announce(spec, created_by=None)
    except MeetingError as error:
        raise InputError(
            f"the meeting is not valid: {error.problem.value.replace('_', ' ')}"
            + (f" ({error.value})" if error.value else "")
        ) from None
    meeting = outcome.meeting
    print(f"Meeting #{meeting.id} {meeting.title!r} announced.")
    print(f"Invited:  {outcome.invited} member{'s' if outcome.invited != 1 else ''}")
    print(f"Notice:   #{outcome.notice_id} (the running bot sends it)")
    return 0


async def meeting_list(
    args: argparse.Namespace, settings: Settings, db: Any, roster: Any, clock: Any
) -> int:
    from bot.domain.meetings import Meetings
    from bot.services import planner_for

    found = await Meetings(db, clock, planner_for(settings)).listing(upcoming=not args.all)
    for meeting in found:
        print(
            f"{meeting.id}\t{meeting.starts_at.isoformat(timespec='minutes')}\t"
            f"{meeting.status.value}\t{meeting.title}"
        )
    print(f"({len(found)} meeting{'s' if len(found) != 1 else ''})")
    return 0


PARSERS: Parsers = {"meeting": add_meeting}

COMMANDS: Commands = {
    ("meeting", "create"): meeting_create,
    ("meeting", "list"): meeting_list,
}
