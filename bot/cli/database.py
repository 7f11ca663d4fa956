"""Running Convene: the bot, its database and the check of a deployment.

convene run                                      run the bot (long polling, or a webhook)
convene db upgrade | current                     apply the pending migrations | say the current one
convene db backup [--output FILE]                SQLite online backup (PostgreSQL: pg_dump)
convene doctor                                   what is wrong, in plain words (exit 1 if any)

`run` and `doctor` are started by `bot.cli.main` itself (they read the settings their own
way); `db upgrade` and `db current` open the database without migrating it first, and
`db backup` copies it as it is.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
from datetime import UTC
from pathlib import Path
from typing import Any

from bot.cli.common import Commands, Parsers, fail, opened
from bot.cli.input import InputError
from bot.config import Settings, SettingsError, redact_url


def add_run(sub: Any) -> None:
    sub.add_parser("run", help="run the bot (long polling)")


def add_db(sub: Any) -> None:
    db = sub.add_parser("db", help="database migrations").add_subparsers(
        dest="action", required=True
    )
    db.add_parser("upgrade", help="apply pending migrations")
    db.add_parser("current", help="show the migration the database is at")
    backup = db.add_parser("backup", help="a consistent copy of a SQLite database, online")
    backup.add_argument("--output", help="file to write (default convene-backup-TIME.db)")


def add_doctor(sub: Any) -> None:
    sub.add_parser("doctor", help="check the configuration, database, catalogs and token")


async def db_upgrade(
    args: argparse.Namespace, settings: Settings, db: Any, roster: Any, clock: Any
) -> int:
    revision = await opened(db, settings, db.upgrade())
    print(f"Database {redact_url(settings.database_url)} is at migration {revision}.")
    return 0


async def db_current(
    args: argparse.Namespace, settings: Settings, db: Any, roster: Any, clock: Any
) -> int:
    print(await opened(db, settings, db.current_revision()) or "empty (no migration applied)")
    return 0


def backup_sqlite(source: str, target: Path) -> str:
    """Copy a live SQLite database with the online backup API (consistent while the bot
    writes); returns the copy's integrity check ("ok")."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
        return str(dst.execute("PRAGMA integrity_check").fetchone()[0])


async def db_backup(
    args: argparse.Namespace, settings: Settings, db: Any, roster: Any, clock: Any
) -> int:
    if not db.is_sqlite:
        print(
            "For PostgreSQL use pg_dump, which copies a running database consistently:\n"
            "    pg_dump --format=custom --file convene.dump "
            f"{redact_url(settings.database_url).replace('+asyncpg', '')}\n"
            'and pg_restore to restore it (see the README, "Backups").',
            file=sys.stderr,
        )
        return 2
    source = settings.database_url.split("///", 1)[1]
    if not await asyncio.to_thread(Path(source).is_file):
        return fail(f"there is no database file at {source}")
    stamp = clock.now().astimezone(UTC).strftime("%Y%m%d-%H%M%S")
    target = Path(args.output or f"convene-backup-{stamp}.db")
    if await asyncio.to_thread(target.exists):
        return fail(f"{target} exists already; choose another --output")
    if not await asyncio.to_thread(target.parent.is_dir):
        raise InputError(f"--output: there is no folder {target.parent}")
    try:
        check = await asyncio.to_thread(backup_sqlite, source, target)
    except sqlite3.Error as error:
        raise InputError(f"--output: cannot write the copy to {target} ({error})") from None
    if check != "ok":
        return fail(f"the copy in {target} failed its integrity check: {check}")
    print(f"Backed up {source} to {target} (integrity check: ok).")
    return 0


# -- doctor ------------------------------------------------------------------------------


async def doctor() -> int:
    """Check everything a deployment needs; say what is wrong and what to do about it."""
    problems = 0

    def say(ok: bool, text: str) -> None:
        nonlocal problems
        problems += 0 if ok else 1
        print(f"{'ok ' if ok else 'ERR'}  {text}")

    try:
        settings = Settings.load()
    except SettingsError as error:
        for problem in error.problems:
            say(False, problem)
        return 1
    say(True, "Configuration read (environment and .env).")
    if not settings.bot_token:
        say(False, "TELEGRAM_BOT_TOKEN is not set: talk to @BotFather (/newbot) for a token.")
    await _check_database(settings, say)
    _check_catalogs(say)
    if settings.bot_token:
        await _check_token(settings, say)
    _check_files(settings, say)
    print("All good." if not problems else f"{problems} problem(s) found.")
    return 0 if not problems else 1


async def _check_database(settings: Settings, say: Any) -> None:
    from bot.services import knows_migration, latest_migration, open_database

    url = redact_url(settings.database_url)
    database = open_database(settings)
    try:
        current = await asyncio.wait_for(database.current_revision(), 10)
    except Exception as error:  # any driver's error: say it plainly
        say(False, f"Cannot open the database {url}: {type(error).__name__}: {error}")
        return
    finally:
        await database.close()
    head = latest_migration()
    if current == head:
        say(True, f"Database {url} is at migration {current}, the latest.")
    elif current is None:
        say(False, f"Database {url} is empty: run `convene db upgrade` (the bot also does it).")
    elif not knows_migration(current):
        say(False, f"Database {url} is at {current}, newer than this Convene: upgrade Convene.")
    else:
        say(False, f"Database {url} is at {current}; run `convene db upgrade` to reach {head}.")


def _check_catalogs(say: Any) -> None:
    from bot import i18n_tools

    problems = i18n_tools.compile_all()
    if problems:
        say(False, f"Translation catalogs do not compile: {problems[0]}")
        return
    say(True, "Translation catalogs compile.")


async def _check_token(settings: Settings, say: Any) -> None:
    from telegram import Bot
    from telegram.error import InvalidToken, NetworkError, TelegramError

    bot = Bot(
        settings.require_token(),
        base_url=settings.base_url,
        base_file_url=settings.base_file_url,
    )
    try:
        async with bot:
            me = await bot.get_me()
            say(True, f"The token works: this is @{me.username}.")
            info = await bot.get_webhook_info()
    except InvalidToken:
        say(False, "Telegram refused the token: copy TELEGRAM_BOT_TOKEN again from @BotFather.")
        return
    except NetworkError as error:
        say(False, f"Cannot reach {settings.telegram_api_url}: {error.message}")
        return
    except TelegramError as error:
        say(False, f"Telegram answered with an error: {error.message}")
        return
    if settings.webhook_url:
        if info.url == settings.webhook_url:
            say(True, f"Telegram sends updates to {settings.webhook_url}.")
        else:
            say(
                True,
                f"Telegram's webhook is {info.url or 'not set'}; the bot sets it to "
                f"{settings.webhook_url} when it starts.",
            )
        if info.last_error_message:
            say(False, f"Telegram's last webhook error: {info.last_error_message}")
    elif info.url:
        say(True, f"A webhook ({info.url}) is set; polling removes it when the bot starts.")


def _check_files(settings: Settings, say: Any) -> None:
    folder = Path(settings.files_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".convene-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        say(False, f"Cannot write documents to {folder}: {error.strerror}; set CONVENE_FILES_DIR.")
        return
    say(True, f"Documents are saved in {folder.resolve()}.")


PARSERS: Parsers = {"run": add_run, "db": add_db, "doctor": add_doctor}

COMMANDS: Commands = {
    ("db", "upgrade"): db_upgrade,
    ("db", "current"): db_current,
    ("db", "backup"): db_backup,
}

# The commands that take the database as it is: every other one migrates it first.
AS_IT_IS = {("db", "upgrade"), ("db", "current"), ("db", "backup")}
