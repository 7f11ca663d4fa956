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

A mistake (an option, a file or a field of it, a setting, a database that cannot be
opened) is said in one line on stderr, naming what to fix, with exit code 1; nothing is
written. `--verbose` shows the log (migrations, debugging) that is otherwise silent.
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
from typing import Any, NoReturn

from bot import cli_followup, cli_notices, cli_ops
from bot.cli_input import Fields, InputError, read_data_file, row_number, telegram_id
from bot.config import Settings, SettingsError, redact_url
from bot.logs import install_redaction

logger = logging.getLogger(__name__)


class _Parser(argparse.ArgumentParser):
    """argparse, saying a mistake in one line (exit code 1) instead of the usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(1, f"error: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="convene", description="Convene: the secretariat's bot.")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="show the log (migrations, debugging)"
    )
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
        admin.add_parser(action).add_argument("telegram_id", type=telegram_id)

    focal = sub.add_parser("focal", help="national focal points").add_subparsers(
        dest="action", required=True
    )
    for action in ("add", "remove"):
        p = focal.add_parser(action)
        p.add_argument("telegram_id", type=telegram_id)
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
    invite.add_parser("revoke", help="withdraw a link").add_argument("invite_id", type=row_number)

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
    create_meeting.add_argument("--member", action="append", type=row_number, default=[])
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
    announce.add_argument("--member", action="append", type=row_number, default=[])
    announce.add_argument("--meeting", type=row_number, help="the invitees of this meeting")
    announce.add_argument("--all", action="store_true", help="every active member")
    announce.add_argument("--ack", action="store_true", help="ask for an acknowledgment")
    announce.add_argument("--restricted", action="store_true", help="no forwarding or saving")
    announce.add_argument("--document", help="a file to attach")

    export = sub.add_parser("export", help="exports").add_subparsers(dest="action", required=True)
    for kind, default in (
        ("meeting", "meeting-ID"),
        ("request", "request-ID"),
        ("plan", "plan-ID"),
        ("proof", "proof-notice-ID"),
    ):
        one = export.add_parser(
            kind, help="proof of notification of one notice" if kind == "proof" else None
        )
        one.add_argument("number", type=row_number)
        one.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        one.add_argument("--output", help=f"file to write (default {default}.FORMAT)")
    audit = export.add_parser("audit", help="the audit log of a period")
    audit.add_argument("--from", dest="start", help="first day, YYYY-MM-DD (default 30 days ago)")
    audit.add_argument("--to", dest="end", help="last day, YYYY-MM-DD, included (default today)")
    audit.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    audit.add_argument("--output", help="file to write (default audit.FORMAT)")
    cli_followup.add_parsers(sub)
    cli_ops.add_parsers(sub, db)
    cli_notices.add_parsers(sub)

    i18n = sub.add_parser("i18n", help="translation catalogs").add_subparsers(
        dest="action", required=True
    )
    for action in ("extract", "update", "compile", "check"):
        i18n.add_parser(action)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    running = args.command == "run"
    level = logging.DEBUG if args.verbose else logging.INFO if running else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(level)
    # httpx logs every request URL at INFO, and the URL contains the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    # Alembic's six lines ("Context impl SQLiteImpl." …) on every command, unless asked for.
    logging.getLogger("alembic").setLevel(logging.NOTSET if args.verbose else logging.WARNING)

    if args.command == "i18n":
        from bot import i18n_tools

        return i18n_tools.main(args.action)
    if args.command == "doctor":
        return asyncio.run(cli_ops.doctor())
    try:
        settings = Settings.load()
        install_redaction(settings.bot_token)
        if running:
            settings.require_token()
    except SettingsError as error:
        if running:
            print(error, file=sys.stderr)
            return 2
        for problem in error.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 1
    if running:
        from bot.app import run

        run(settings)
        return 0
    try:
        return asyncio.run(_admin_command(args, settings))
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


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
                revision = await _open(db, settings, db.upgrade())
                print(f"Database {redact_url(settings.database_url)} is at migration {revision}.")
            else:
                print(
                    await _open(db, settings, db.current_revision())
                    or "empty (no migration applied)"
                )
            return 0
        if (args.command, getattr(args, "action", None)) != ("db", "backup"):
            # A backup copies the database as it is, and refuses PostgreSQL (pg_dump does
            # that): it never migrates what it was asked to copy.
            await _open(db, settings, db.upgrade())
        handler = _COMMANDS[(args.command, getattr(args, "action", None))]
        return await handler(args, settings, db, roster, clock)
    except (RosterError, InviteSpecError) as error:
        raise InputError(_cli_error(error)) from None
    finally:
        await db.close()


async def _open(db: Any, settings: Settings, step: Awaitable[Any]) -> Any:
    """Open (and migrate) the database; a failure is said in one line."""
    from storage.db import SchemaTooNewError

    url = redact_url(settings.database_url)
    try:
        return await step
    except SchemaTooNewError as error:
        raise InputError(f"CONVENE_DATABASE_URL {url}: {error}") from None
    except Exception as error:  # any driver's error (refused, unknown host, no such file …)
        logger.debug("cannot open the database", exc_info=True)
        reason = (
            " ".join(str(getattr(error, "orig", None) or error).split()) or type(error).__name__
        )
        raise InputError(
            f"CONVENE_DATABASE_URL: cannot open the database {url}: {reason[:200]}"
        ) from None


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
    from bot.domain.countries import normalize_country
    from bot.domain.models import Role

    if args.command == "admin":
        role, country, label = Role.ADMIN, "", "a secretariat admin"
    else:
        found = normalize_country(args.country)
        if found is None:
            raise InputError(f"--country: {args.country!r} is not a country's two-letter code")
        country = found
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


async def _meeting_create(
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
        raise InputError(f"no file {document!r} to attach")
    return str(path.resolve()), path.name


async def _announce(
    args: argparse.Namespace, settings: Settings, db: Any, roster: Any, clock: Any
) -> int:
    from bot.domain.models import Audience
    from bot.domain.notices import AnnouncementSpec, NoticeError, Notices

    fields = Fields(read_data_file(args.file) if args.file else {}, args.file)
    text = args.text or fields.text("text")
    document_path, document_name = _attachment(args.document or fields.text("document"))
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
        ref_locale=fields.text("language", default=args.language),
        translations=fields.texts_by_language("translations"),
        document_path=document_path,
        document_name=document_name,
        ack_required=args.ack or fields.flag("ack"),
        restricted=args.restricted or fields.flag("restricted"),
    )
    try:
        notice_id, total = await Notices(db, clock).announce(
            spec, created_by=None, progress_chat_id=None
        )
    except NoticeError as error:
        raise InputError(
            f"the announcement is not valid: {error.problem.value.replace('_', ' ')}"
            + (f" ({error.value})" if error.value else "")
        ) from None
    print(f"Announcement #{notice_id} queued for {total} recipient{'s' if total != 1 else ''}.")
    return 0


async def _export(
    args: argparse.Namespace, settings: Settings, db: Any, roster: Any, clock: Any
) -> int:
    """`export meeting|request|plan|proof N` and `export audit`: the domain's one export
    operation (audited, as `/export` is), written to a file."""
    from datetime import timedelta

    from bot.domain.audit import AuditLog
    from bot.domain.plans import Plans
    from bot.domain.reports import DEFAULT_AUDIT_PERIOD, ExportKind, Exports, Reports
    from bot.domain.requests import Requests
    from bot.services import planner_for

    planner = planner_for(settings)
    exports = Exports(
        clock,
        Reports(db, clock),
        Requests(db, clock, planner),
        Plans(db, clock, planner),
        AuditLog(db, clock),
    )
    kind = ExportKind(args.action)
    if kind is ExportKind.AUDIT:
        start = cli_ops.day("--from", args.start, settings.timezone)
        end = cli_ops.day("--to", args.end, settings.timezone)
        start = start or clock.now() - DEFAULT_AUDIT_PERIOD
        end = end + timedelta(days=1) if end else None
        output = _output(args, "audit")
        made = await exports.audit_log(start, end, settings.timezone)
    else:
        output = _output(
            args, f"{'proof-notice' if kind is ExportKind.PROOF else kind.value}-{args.number}"
        )
        found = await exports.export(kind, args.number, timezone=settings.timezone)
        if found is None:
            what = (
                "notice" if kind is ExportKind.PROOF else kind.value.replace("plan", "action plan")
            )
            raise InputError(f"there is no {what} #{args.number}")
        made = found
    try:
        await asyncio.to_thread(output.write_bytes, made.content(args.format))
    except OSError as error:
        raise InputError(f"--output: cannot write {output} ({error.strerror})") from None
    counted = {
        ExportKind.MEETING: "invited",
        ExportKind.REQUEST: "parties",
        ExportKind.PLAN: "obligations",
        ExportKind.PROOF: "recipients",
        ExportKind.AUDIT: "entries",
    }[kind]
    print(f"Wrote {output} ({made.rows} {counted}).")
    return 0


def _output(args: argparse.Namespace, name: str) -> Any:
    """The file to write, checked before anything is exported (and audited)."""
    from pathlib import Path

    output = Path(args.output or f"{name}.{args.format}")
    if output.is_dir():
        raise InputError(f"--output: {output} is a folder; name a file")
    folder = output.parent
    if not folder.is_dir():
        raise InputError(f"--output: there is no folder {folder}")
    import os

    if not os.access(folder, os.W_OK):
        raise InputError(f"--output: cannot write in {folder}")
    return output


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
    ("export", "meeting"): _export,
    ("export", "request"): _export,
    ("export", "plan"): _export,
    ("export", "proof"): _export,
    ("export", "audit"): _export,
    ("announce", None): _announce,
    **cli_followup.COMMANDS,
    **cli_ops.COMMANDS,
    **cli_notices.COMMANDS,
}
