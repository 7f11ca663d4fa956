"""`convene`: run the bot, and the secretariat's first steps and scripting.

convene run | doctor                                                     (bot/cli/database.py)
convene db upgrade | current | backup [--output FILE]
convene admin add|remove TELEGRAM_ID                                     (bot/cli/roster.py)
convene focal add|remove TELEGRAM_ID --country CC
convene team create NAME [--slug S] | team list
convene members list [--team S] [--country CC] [--status S] [--format table|csv|json]
convene invite create --team S [--team S2] [--country CC] [--uses N]   (bot/cli/invites.py)
                      [--expires 7d] [--approval auto|manual] [--role member|chair|observer]
convene invite revoke NUMBER
convene meeting create --file meeting.yaml|toml | --title T --start "2026-12-10 09:30" …
                                                                         (bot/cli/meetings.py)
convene meeting list [--all]
convene announce --text T | --file F.yaml [--team S] [--country CC]    (bot/cli/notices.py)
                 [--role R] [--member N] [--meeting ID] [--all] [--ack] [--restricted]
                 [--document PATH]
convene notice resend NOTICE
convene request create | list | deadline | cancel | mark …               (bot/cli/requests.py)
convene plan import FILE | list | status ID                              (bot/cli/plans.py)
convene export meeting|request|plan ID | proof NOTICE                    (bot/cli/record.py)
               [--format csv|xlsx] [--output FILE]
convene export audit [--from D] [--to D] [--format csv|xlsx] [--output FILE]
convene forget TELEGRAM_ID | retention purge                             (bot/cli/privacy.py)
convene i18n extract | update | compile | check                          (bot/cli/i18n.py)

Meetings created here are queued in the database; the running bot sends the invitations
within a second or two (its delivery worker polls the queue).

A mistake (an option, a file or a field of it, a setting, a database that cannot be
opened) is said in one line on stderr, naming what to fix, with exit code 1; nothing is
written. `--verbose` shows the log (migrations, debugging) that is otherwise silent.

Each feature's module adds its commands' parsers (PARSERS) and runs them (COMMANDS); the
fields of files and options are checked in bot/cli/input.py, and what several commands need
is in bot/cli/common.py. The command line reaches storage only through bot/services.py.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import NoReturn

from bot.cli import (
    database,
    i18n,
    invites,
    meetings,
    notices,
    plans,
    privacy,
    record,
    requests,
    roster,
)
from bot.cli.common import Commands, Parsers, opened
from bot.cli.input import InputError
from bot.config import Settings, SettingsError
from bot.logs import install_redaction

logger = logging.getLogger(__name__)

_PARSERS: Parsers = {
    **database.PARSERS,
    **roster.PARSERS,
    **invites.PARSERS,
    **meetings.PARSERS,
    **notices.PARSERS,
    **record.PARSERS,
    **requests.PARSERS,
    **plans.PARSERS,
    **privacy.PARSERS,
    **i18n.PARSERS,
}

# The order `convene --help` lists the commands in (and an unknown command's error).
_ORDER = (
    "run",
    "db",
    "admin",
    "focal",
    "team",
    "invite",
    "members",
    "meeting",
    "announce",
    "export",
    "request",
    "plan",
    "doctor",
    "forget",
    "retention",
    "notice",
    "i18n",
)

_COMMANDS: Commands = {
    **database.COMMANDS,
    **roster.COMMANDS,
    **invites.COMMANDS,
    **meetings.COMMANDS,
    **notices.COMMANDS,
    **record.COMMANDS,
    **requests.COMMANDS,
    **plans.COMMANDS,
    **privacy.COMMANDS,
}


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
    assert sorted(_ORDER) == sorted(_PARSERS), "every command is listed once in _ORDER"
    for command in _ORDER:
        _PARSERS[command](sub)
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
        return i18n.run(args.action)
    if args.command == "doctor":
        return asyncio.run(database.doctor())
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
    from bot.services import open_database

    db = open_database(settings)
    clock = SystemClock()
    roster = Roster(db, clock)
    command = (args.command, getattr(args, "action", None))
    try:
        if command not in database.AS_IT_IS:
            # `db upgrade` and `db current` open it themselves; a backup copies the database
            # as it is, and refuses PostgreSQL (pg_dump does that): it never migrates what it
            # was asked to copy.
            await opened(db, settings, db.upgrade())
        return await _COMMANDS[command](args, settings, db, roster, clock)
    except (RosterError, InviteSpecError) as error:
        raise InputError(_cli_error(error)) from None
    finally:
        await db.close()


def _cli_error(error: Exception) -> str:
    problem = getattr(error, "problem", "")
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
    return messages.get(problem, str(error))
