"""`convene`: run the bot, and the secretariat's first steps and scripting.

convene run
convene db upgrade | current
convene admin add|remove TELEGRAM_ID
convene focal add|remove TELEGRAM_ID --country CC
convene team create NAME [--slug S] | team list
convene invite create --team S [--team S2] [--country CC] [--uses N] [--expires 7d]
                      [--approval auto|manual] [--role member|chair|observer]
convene members list [--team S] [--country CC] [--status S] [--format table|csv|json]
convene i18n extract | update | compile | check
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

from bot.config import Settings, SettingsError, redact_url


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
    try:
        settings = Settings.load()
        if args.command == "run":
            settings.require_token()
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    if args.command == "run":
        from bot.app import run_polling

        run_polling(settings)
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
        if args.command == "db":
            if args.action == "upgrade":
                revision = await db.upgrade()
                print(f"Database {redact_url(settings.database_url)} is at migration {revision}.")
            else:
                print(await db.current_revision() or "empty (no migration applied)")
            return 0
        await db.upgrade()
        handler = _COMMANDS[(args.command, args.action)]
        return await handler(args, settings, db, roster, clock)
    except (RosterError, InviteSpecError) as error:
        print(f"error: {_cli_error(error)}", file=sys.stderr)
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


_COMMANDS: dict[tuple[str, str], Command] = {
    ("admin", "add"): _role,
    ("admin", "remove"): _role,
    ("focal", "add"): _role,
    ("focal", "remove"): _role,
    ("team", "create"): _team_create,
    ("team", "list"): _team_list,
    ("invite", "create"): _invite_create,
    ("invite", "revoke"): _invite_revoke,
    ("members", "list"): _members_list,
}
