"""`convene`: run the bot, and the secretariat's first steps and scripting.

convene run
convene db upgrade | current
convene admin add|remove TELEGRAM_ID
convene focal add|remove TELEGRAM_ID --country CC
convene team create NAME [--slug S] | team list
convene invite create --team S [--team S2] [--country CC] [--uses N] [--expires 7d]
                      [--approval auto|manual] [--role member|chair|observer]
convene members list [--team S] [--country CC] [--status S] [--format table|csv|json]
convene meeting create --file meeting.yaml|toml | --title T --start "2026-12-10 09:30" …
convene meeting list [--all]
convene announce --text T | --file F.yaml [--team S] [--country CC] [--role R] [--member N]
                 [--meeting ID] [--all] [--ack] [--restricted] [--document PATH]
convene export meeting ID --format csv|xlsx [--output FILE]
convene request … | plan … | export request ID | export plan ID   (see bot/cli_followup.py)
convene doctor | db backup | export audit | export proof N | forget ID | retention purge
                                                                     (see bot/cli_ops.py)
convene i18n extract | update | compile | check

Meetings created here are queued in the database; the running bot sends the invitations
within a second or two (its delivery worker polls the queue).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from bot import cli_followup, cli_notices, cli_ops
from bot.config import Settings, SettingsError, redact_url
from bot.logs import install_redaction


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="convene", description="Convene: the secretariat's bot.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("run", help="run the bot (long polling)")

    db = sub.add_parser("db", help="database migrations").add_subparsers(
        dest="action", required=True
    )
    db.add_parser("upgrade", help="apply pending migrations")
    db.add_parser("current", help="show the migration the database is at")

    admin = sub.add_parser("admin", help="secretariat admins").add_subparsers(
        dest="action", required=True
    )
    for action in ("add", "remove"):
        admin.add_parser(action).add_argument("telegram_id", type=int)

    focal = sub.add_parser("focal", help="national focal points").add_subparsers(
        dest="action", required=True
    )
    for action in ("add", "remove"):
        p = focal.add_parser(action)
        p.add_argument("telegram_id", type=int)
        p.add_argument("--country", required=True)

    team = sub.add_parser("team", help="teams").add_subparsers(dest="action", required=True)
    create_team = team.add_parser("create")
    create_team.add_argument("name")
    create_team.add_argument("--slug")
    team.add_parser("list")

    invite = sub.add_parser("invite", help="invitation links").add_subparsers(
        dest="action", required=True
    )
    create_invite = invite.add_parser("create")
    create_invite.add_argument(
        "--team", action="append", required=True, help="team slug (repeatable)"
    )
    create_invite.add_argument("--country")
    create_invite.add_argument("--uses", type=int, default=1)
    create_invite.add_argument("--expires", default="14d", help="e.g. 12h, 7d, 2w (default 14d)")
    create_invite.add_argument("--approval", choices=["auto", "manual"], default="manual")
    create_invite.add_argument("--role", choices=["member", "chair", "observer"], default="member")
    invite.add_parser("revoke", help="withdraw a link").add_argument("invite_id", type=int)

    members = sub.add_parser("members", help="the roster").add_subparsers(
        dest="action", required=True
    )
    list_members = members.add_parser("list")
    list_members.add_argument("--team")
    list_members.add_argument("--country")
    list_members.add_argument("--status")
    list_members.add_argument("--format", choices=["table", "csv", "json"], default="table")

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
    create_meeting.add_argument("--member", action="append", type=int, default=[])
    create_meeting.add_argument("--deadline", help="local date [time]; default 7 days before")
    create_meeting.add_argument("--tentative", action="store_true")
    create_meeting.add_argument("--comment", action="store_true", help="ask for a comment")
    create_meeting.add_argument("--language", default="en", help="language of the texts")
    create_meeting.add_argument("--remind", help="reminders before the meeting, e.g. 2d,1h")
    list_meetings = meeting.add_parser("list")
    list_meetings.add_argument("--all", action="store_true", help="past meetings too")

    announce = sub.add_parser("announce", help="send an announcement (the bot delivers it)")
    announce.add_argument("--text", help="the text, in --language")
    announce.add_argument(
        "--file", help="YAML/TOML with text, language, translations {locale: text}"
    )
    announce.add_argument("--language", default="en")
    announce.add_argument("--team", action="append", default=[])
    announce.add_argument("--country", action="append", default=[])
    announce.add_argument(
        "--role", action="append", default=[], help="chair, member, observer, focal"
    )
    announce.add_argument("--member", action="append", type=int, default=[])
    announce.add_argument("--meeting", type=int, help="the invitees of this meeting")
    announce.add_argument("--all", action="store_true", help="every active member")
    announce.add_argument("--ack", action="store_true", help="ask for an acknowledgment")
    announce.add_argument("--restricted", action="store_true", help="no forwarding or saving")
    announce.add_argument("--document", help="a file to attach")

    export = sub.add_parser("export", help="exports").add_subparsers(dest="action", required=True)
    export_meeting = export.add_parser("meeting")
    export_meeting.add_argument("meeting_id", type=int)
    export_meeting.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    export_meeting.add_argument("--output", help="file to write (default meeting-ID.FORMAT)")
    cli_followup.add_export_parsers(export)
    cli_followup.add_parsers(sub)
    cli_ops.add_parsers(sub, db, export)
    cli_notices.add_parsers(sub)

    i18n = sub.add_parser("i18n", help="translation catalogs").add_subparsers(
        dest="action", required=True
    )
    for action in ("extract", "update", "compile", "check"):
        i18n.add_parser(action)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request URL at INFO, and the URL contains the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    if args.command == "i18n":
        from bot import i18n_tools

        return i18n_tools.main(args.action)
    if args.command == "doctor":
        return asyncio.run(cli_ops.doctor())
    try:
        settings = Settings.load()
        install_redaction(settings.bot_token)
        if args.command == "run":
            settings.require_token()
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    if args.command == "run":
        from bot.app import run

        run(settings)
        return 0
    return asyncio.run(_admin_command(args, settings))


async def _admin_command(args: argparse.Namespace, settings: Settings) -> int:
    from bot.domain.clock import SystemClock
    from bot.domain.invites import InviteSpecError
    from bot.domain.roster import Roster, RosterError
    from storage.db import Database

    db = Database(settings.database_url)
    clock = SystemClock()
    roster = Roster(db, clock)
    try:
        if args.command == "db" and args.action != "backup":
            if args.action == "upgrade":
                revision = await db.upgrade()
                print(f"Database {redact_url(settings.database_url)} is at migration {revision}.")
            else:
                print(await db.current_revision() or "empty (no migration applied)")
            return 0
        if (args.command, getattr(args, "action", None)) != ("db", "backup"):
            # A backup copies the database as it is, and refuses PostgreSQL (pg_dump does
            # that): it never migrates what it was asked to copy.
            await db.upgrade()
        handler = _COMMANDS[(args.command, getattr(args, "action", None))]
        return await handler(args, settings, db, roster, clock)
    except (RosterError, InviteSpecError) as error:
        print(f"error: {_cli_error(error)}", file=sys.stderr)
        return 1
    except MeetingFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        await db.close()


def _cli_error(error: Exception) -> str:
    code = getattr(error, "code", "")
    value = getattr(error, "value", "")
    messages = {
        "unknown_team": f"there is no team with the slug {value!r} (see `convene team list`)",
        "bad_country": f"{value!r} is not a two-letter ISO 3166 country code",
        "bad_uses": "--uses must be between 1 and 10000",
        "bad_expiry": "--expires must be like 12h, 7d or 2w, and at most a year",
        "no_team": "name at least one --team",
        "team_exists": f"a team with the slug {value!r} exists already",
        "bad_slug": f"{value!r} is not a valid slug (lowercase letters, digits and dashes)",
        "bad_team_name": "a team name needs 2 to 200 characters",
        "bad_status": f"{value!r} is not a status (pending, active, revoked, unreachable)",
    }
    return messages.get(code, str(error))


Command = Callable[[argparse.Namespace, Settings, Any, Any, Any], Awaitable[int]]


async def _role(
    args: argparse.Namespace, settings: Settings, db: Any, roster: Any, clock: Any
) -> int:
    """`admin add|remove ID` and `focal add|remove ID --country CC`."""
    from bot.domain.models import Role

    if args.command == "admin":
        role, country, label = Role.ADMIN, "", "a secretariat admin"
    else:
        country = args.country.upper()
        role, label = Role.FOCAL_POINT, f"a focal point for {country}"
    if args.action == "add":
        changed = await roster.grant(args.telegram_id, role, country)
        print(f"{args.telegram_id} is {'now' if changed else 'already'} {label}.")
    else:
        changed = await roster.withdraw(args.telegram_id, role, country)
        print(f"{args.telegram_id} {'is no longer' if changed else 'was not'} {label}.")
    return 0


async def _team_create(
    args: argparse.Namespace, settings: Settings, db: Any, roster: Any, clock: Any
) -> int:
    team = await roster.create_team(args.name, args.slug)
    print(f"Created team {team.name!r} with the slug {team.slug!r}.")
    return 0


async def _team_list(
    args: argparse.Namespace, settings: Settings, db: Any, roster: Any, clock: Any
) -> int:
    for team in await roster.teams():
        print(f"{team.slug}\t{team.name}")
    return 0


async def _invite_create(
    args: argparse.Namespace, settings: Settings, db: Any, roster: Any, clock: Any
) -> int:
    from bot.domain.invites import Invites, InviteSpecError, deep_link, parse_duration
    from bot.domain.models import Approval, TeamRole

    expires = parse_duration(args.expires)
    if expires is None:
        raise InviteSpecError("bad_expiry", args.expires)
    created = await Invites(db, clock).create(
        team_slugs=args.team,
        country=args.country,
        uses=args.uses,
        expires_in=expires,
        approval=Approval(args.approval),
        team_role=TeamRole(args.role),
    )
    username = await _bot_username(settings, db)
    link = deep_link(username, created.token) if username else None
    invite = created.invite
    print(f"Link:     {link or '(start the bot once so that it learns its username)'}")
    print(f"Number:   {invite.id}")
    print(f"Token:    {created.token}")
    print(f"Teams:    {', '.join(team.slug for team in invite.teams)}")
    print(f"Country:  {invite.country or 'any'}")
    print(f"Uses:     {invite.max_uses}")
    print(f"Expires:  {invite.expires_at.isoformat(timespec='minutes')}")
    print(f"Approval: {invite.approval.value}")
    return 0


async def _invite_revoke(
    args: argparse.Namespace, settings: Settings, db: Any, roster: Any, clock: Any
) -> int:
    from bot.domain.invites import revoke_invite

    if await revoke_invite(db, clock, args.invite_id):
        print(f"Invitation #{args.invite_id} is withdrawn: its link no longer works.")
        return 0
    print(f"error: no active invitation #{args.invite_id}", file=sys.stderr)
    return 1


async def _bot_username(settings: Settings, db: Any) -> str | None:
    """The bot's @username: remembered by the bot at start, else asked of the Bot API."""
    async with db.transaction() as tx:
        stored = await tx.meta.get("bot_username")
    if stored or not settings.bot_token:
        return stored
    from telegram import Bot
    from telegram.error import TelegramError

    try:
        async with Bot(settings.bot_token, base_url=settings.base_url) as bot:
            return bot.username
    except TelegramError:
        return None


async def _members_list(
    args: argparse.Namespace, settings: Settings, db: Any, roster: Any, clock: Any
) -> int:
    found = await roster.members(team=args.team, country=args.country, status=args.status)
    fields = [
        "id",
        "full_name",
        "country",
        "institution",
        "position",
        "email",
        "status",
        "locale",
        "timezone",
        "teams",
        "telegram_user_id",
    ]
    rows = [
        {
            **{key: getattr(member, key) for key in fields if key != "teams"},
            "status": member.status.value,
            "teams": " ".join(member.teams),
        }
        for member in found
    ]
    if args.format == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    elif args.format == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
        sys.stdout.write(out.getvalue())
    else:
        columns = ["id", "full_name", "country", "institution", "position", "status", "teams"]
        widths = {c: max([len(c)] + [len(str(row[c] or "")) for row in rows]) for c in columns}
        print("  ".join(c.ljust(widths[c]) for c in columns))
        for row in rows:
            print("  ".join(str(row[c] or "").ljust(widths[c]) for c in columns))
        print(f"({len(rows)} member{'s' if len(rows) != 1 else ''})")
    return 0


class MeetingFileError(ValueError):
    """A meeting file or option that cannot be read; the message says what to fix."""


def _read_meeting_file(path: str) -> dict[str, Any]:
    from pathlib import Path

    file = Path(path)
    if not file.is_file():
        raise MeetingFileError(f"no file {path!r}")
    text = file.read_text(encoding="utf-8")
    if file.suffix.lower() == ".toml":
        import tomllib

        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise MeetingFileError(f"{path}: {error}") from None
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise MeetingFileError(f"{path}: {error}") from None
    if not isinstance(data, dict):
        raise MeetingFileError(f"{path}: expected a mapping of fields")
    return data


def _offsets(value: Any) -> tuple[int, ...] | None:
    from bot.domain.schedule import parse_offsets

    if value is None or value == "":
        return None
    try:
        return parse_offsets(str(value))
    except ValueError as error:
        raise MeetingFileError(f"'remind': {error}") from None


def meeting_spec_from(values: dict[str, Any], default_timezone: str) -> Any:
    """A MeetingSpec from a file's fields (or the options); dates are local to `timezone`."""
    from bot.domain.meetings import MeetingSpec, default_deadline, parse_local_datetime
    from bot.domain.models import Audience, MeetingMode, MeetingText

    timezone = str(values.get("timezone") or default_timezone)

    def when(key: str, *, end_of_day: bool = False, required: bool = True) -> Any:
        raw = values.get(key)
        if raw is None or raw == "":
            if required:
                raise MeetingFileError(f"{key!r} is required (e.g. 2026-12-10 09:30)")
            return None
        text = raw.strftime("%Y-%m-%d %H:%M") if hasattr(raw, "strftime") else str(raw)
        moment = parse_local_datetime(text, timezone, end_of_day=end_of_day)
        if moment is None:
            raise MeetingFileError(f"{key!r}: cannot read {text!r} as a date and time")
        return moment

    try:
        mode = MeetingMode(str(values.get("mode") or "in_person"))
    except ValueError:
        raise MeetingFileError("'mode' must be in_person, online or hybrid") from None
    invite = values.get("invite") or {}
    audience = Audience(
        teams=tuple(invite.get("teams") or values.get("teams") or ()),
        countries=tuple(
            str(c).upper() for c in invite.get("countries") or values.get("countries") or ()
        ),
        members=tuple(int(m) for m in invite.get("members") or values.get("members") or ()),
    )
    starts_at = when("start")
    translations = {
        str(locale): MeetingText(
            str(t.get("title", "")), str(t.get("description", "")), str(t.get("agenda", ""))
        )
        for locale, t in (values.get("translations") or {}).items()
    }
    return MeetingSpec(
        title=str(values.get("title") or ""),
        description=str(values.get("description") or ""),
        agenda=str(values.get("agenda") or ""),
        ref_locale=str(values.get("language") or values.get("reference_locale") or "en"),
        translations=translations,
        starts_at=starts_at,
        ends_at=when("end"),
        timezone=timezone,
        mode=mode,
        venue=values.get("venue"),
        city=values.get("city"),
        host_country=values.get("host_country"),
        online_url=values.get("link") or values.get("online_url"),
        audience=audience,
        rsvp_deadline=when("deadline", end_of_day=True, required=False)
        or default_deadline(starts_at, timezone),
        tentative=bool(values.get("tentative")),
        ask_comment=bool(values.get("ask_comment") or values.get("comment")),
        reminder_offsets=_offsets(values.get("remind")),
    )


async def _meeting_create(
    args: argparse.Namespace, settings: Settings, db: Any, roster: Any, clock: Any
) -> int:
    from bot.domain.meetings import MeetingError, Meetings
    from bot.services import planner_for

    if args.file:
        values = _read_meeting_file(args.file)
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
    spec = meeting_spec_from(values, settings.timezone)
    try:
        outcome = await Meetings(db, clock, planner_for(settings)).announce(spec, created_by=None)
    except MeetingError as error:
        raise MeetingFileError(
            f"the meeting is not valid: {error.problem.value.replace('_', ' ')}"
            + (f" ({error.value})" if error.value else "")
        ) from None
    meeting = outcome.meeting
    print(f"Meeting #{meeting.id} {meeting.title!r} announced.")
    print(f"Invited:  {outcome.invited} member{'s' if outcome.invited != 1 else ''}")
    print(f"Notice:   #{outcome.notice_id} (the running bot sends it)")
    return 0


async def _meeting_list(
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


def _attachment(document: str | None) -> tuple[str | None, str | None]:
    """The absolute path (the bot may run elsewhere in the tree) and the file's name."""
    from pathlib import Path

    if not document:
        return None, None
    path = Path(document)
    if not path.is_file():
        raise MeetingFileError(f"no file {document!r} to attach")
    return str(path.resolve()), path.name


async def _announce(
    args: argparse.Namespace, settings: Settings, db: Any, roster: Any, clock: Any
) -> int:
    from bot.domain.models import Audience
    from bot.domain.notices import AnnouncementSpec, NoticeError, Notices

    values: dict[str, Any] = _read_meeting_file(args.file) if args.file else {}
    text = args.text or values.get("text") or ""
    document_path, document_name = _attachment(args.document or values.get("document"))
    audience = Audience(
        teams=tuple(args.team),
        countries=tuple(c.upper() for c in args.country),
        members=tuple(args.member),
        roles=tuple("focal_point" if r.startswith("focal") else r for r in args.role),
        everyone=args.all,
        meeting=args.meeting,
    )
    spec = AnnouncementSpec(
        body=str(text),
        audience=audience,
        ref_locale=str(values.get("language") or args.language),
        translations={str(k): str(v) for k, v in (values.get("translations") or {}).items()},
        document_path=document_path,
        document_name=document_name,
        ack_required=args.ack or bool(values.get("ack")),
        restricted=args.restricted or bool(values.get("restricted")),
    )
    try:
        notice_id, total = await Notices(db, clock).announce(
            spec, created_by=None, progress_chat_id=None
        )
    except NoticeError as error:
        raise MeetingFileError(
            f"the announcement is not valid: {error.problem.value.replace('_', ' ')}"
            + (f" ({error.value})" if error.value else "")
        ) from None
    print(f"Announcement #{notice_id} queued for {total} recipient{'s' if total != 1 else ''}.")
    return 0


async def _export_meeting(
    args: argparse.Namespace, settings: Settings, db: Any, roster: Any, clock: Any
) -> int:
    from pathlib import Path

    from bot.domain.reports import Reports, to_csv, to_xlsx

    report = await Reports(db, clock).meeting(args.meeting_id)
    if report is None:
        print(f"error: there is no meeting #{args.meeting_id}", file=sys.stderr)
        return 1
    content = to_csv(report) if args.format == "csv" else to_xlsx(report)
    output = Path(args.output or f"meeting-{args.meeting_id}.{args.format}")
    await asyncio.to_thread(output.write_bytes, content)
    print(f"Wrote {output} ({len(report.rows)} invited).")
    return 0


_COMMANDS: dict[tuple[str, str | None], Command] = {
    ("admin", "add"): _role,
    ("admin", "remove"): _role,
    ("focal", "add"): _role,
    ("focal", "remove"): _role,
    ("team", "create"): _team_create,
    ("team", "list"): _team_list,
    ("invite", "create"): _invite_create,
    ("invite", "revoke"): _invite_revoke,
    ("members", "list"): _members_list,
    ("meeting", "create"): _meeting_create,
    ("meeting", "list"): _meeting_list,
    ("export", "meeting"): _export_meeting,
    ("announce", None): _announce,
    **cli_followup.COMMANDS,
    **cli_ops.COMMANDS,
    **cli_notices.COMMANDS,
}
