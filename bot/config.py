"""Settings, parsed once at start-up into a frozen object.

Every problem is collected and reported together, so an operator fixes a
misconfigured deployment in one round instead of one variable at a time.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from bot.domain.schedule import QuietHours, parse_duration, parse_offsets
from bot.i18n import SUPPORTED_LOCALES

DEFAULT_API_URL = "https://api.telegram.org"
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///convene.db"

TOKEN_HELP = (
    "TELEGRAM_BOT_TOKEN is not set. Create a bot by talking to @BotFather in Telegram "
    "(send /newbot and follow the steps); it answers with a token like "
    "123456789:AAE…. Put it in the environment or in a .env file in this folder:\n"
    "    TELEGRAM_BOT_TOKEN=123456789:AAE…"
)


class SettingsError(ValueError):
    """One or more settings are missing or invalid; the message lists all of them."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("Convene cannot start:\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class Settings:
    # Kept out of repr(): a settings object in a log line or a traceback shows no token.
    bot_token: str | None = field(repr=False)
    database_url: str
    telegram_api_url: str
    default_locale: str
    timezone: str
    admins: tuple[int, ...]
    # Reminders; each has a CONVENE_* variable, documented in the README.
    reminder_offsets: tuple[int, ...] = (7 * 86400, 86400, 2 * 3600)
    meeting_reminder_offsets: tuple[int, ...] = (86400, 3600)
    quiet_hours: QuietHours = field(default_factory=lambda: QuietHours(time(21), time(8)))
    skip_days_off: bool = False
    reminder_grace: timedelta = timedelta(hours=6)
    past_due_after: timedelta = timedelta(days=7)
    files_dir: Path = Path("files")
    # Data protection
    retain_revoked: timedelta = timedelta(days=365)
    retain_answers: timedelta = timedelta(days=3 * 365)
    # Webhook mode: without a URL the bot polls.
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    # Deliveries: a row that keeps meeting transient failures (Telegram or the database
    # unreachable) is tried until it is this old, then failed and reported.
    delivery_give_up: timedelta = timedelta(hours=24)
    # Where the error handler sends its short, rate-limited alerts (an operator's chat).
    alert_chat: int | None = None

    @property
    def base_url(self) -> str:
        """PTB's base_url: requests go to <base_url><token>/<method>."""
        return f"{self.telegram_api_url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.telegram_api_url}/file/bot"

    def require_token(self) -> str:
        if not self.bot_token:
            raise SettingsError([TOKEN_HELP])
        return self.bot_token

    @classmethod
    def load(
        cls, environ: Mapping[str, str] | None = None, env_file: Path | None = None
    ) -> Settings:
        """Read the process environment, with `.env` filling in what it does not set."""
        values: dict[str, str] = {}
        env_file = env_file if env_file is not None else Path.cwd() / ".env"
        if env_file.is_file():
            values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        values.update(os.environ if environ is None else environ)
        return cls.parse(values)

    @classmethod
    def parse(cls, values: Mapping[str, str]) -> Settings:
        problems: list[str] = []

        def get(name: str) -> str:
            return (values.get(name) or "").strip()

        token = get("TELEGRAM_BOT_TOKEN") or None
        if token is not None and (":" not in token or not token.split(":", 1)[0].isdigit()):
            problems.append(
                "TELEGRAM_BOT_TOKEN does not look like a bot token (digits, a colon, then "
                "letters); copy it again from @BotFather."
            )

        database_url = normalize_database_url(get("CONVENE_DATABASE_URL") or DEFAULT_DATABASE_URL)
        if not database_url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            problems.append(
                "CONVENE_DATABASE_URL must start with sqlite+aiosqlite:// or "
                f"postgresql+asyncpg:// (got {redact_url(database_url)!r})."
            )

        elif database_url.startswith("sqlite+aiosqlite:///"):
            folder = Path(database_url.removeprefix("sqlite+aiosqlite:///").split("?")[0]).parent
            if not folder.is_dir():
                problems.append(
                    f"CONVENE_DATABASE_URL {database_url!r}: there is no folder {str(folder)!r} "
                    "for the database file."
                )

        api_url = (get("CONVENE_TELEGRAM_API_URL") or DEFAULT_API_URL).rstrip("/")
        if not api_url.startswith(("http://", "https://")):
            problems.append(
                f"CONVENE_TELEGRAM_API_URL must be an http(s) URL (got {api_url!r}), "
                "e.g. https://api.telegram.org or http://127.0.0.1:8081 for a local Bot API server."
            )

        default_locale = get("CONVENE_DEFAULT_LOCALE") or "en"
        if default_locale not in SUPPORTED_LOCALES:
            problems.append(
                f"CONVENE_DEFAULT_LOCALE {default_locale!r} is not one of the catalogs: "
                + ", ".join(SUPPORTED_LOCALES)
            )

        timezone = get("CONVENE_TIMEZONE") or "Europe/Belgrade"
        if not is_valid_timezone(timezone):
            problems.append(
                f"CONVENE_TIMEZONE {timezone!r} is not an IANA time zone such as Europe/Belgrade."
            )

        admins: list[int] = []
        for part in get("CONVENE_ADMINS").replace(";", ",").replace(" ", ",").split(","):
            if not part:
                continue
            if part.isdigit():
                admins.append(int(part))
            else:
                problems.append(
                    f"CONVENE_ADMINS must list numeric Telegram user ids; {part!r} is not one."
                )

        def offsets(name: str, default: str) -> tuple[int, ...]:
            try:
                return parse_offsets(get(name) or default)
            except ValueError:
                problems.append(
                    f"{name} must list durations before the moment, like 7d,1d,2h "
                    f"(got {get(name)!r})."
                )
                return ()

        def duration(name: str, default: str, least: timedelta = timedelta()) -> timedelta:
            try:
                found = timedelta(seconds=parse_duration(get(name) or default))
            except ValueError:
                problems.append(f"{name} must be a duration like 6h or 7d (got {get(name)!r}).")
                return timedelta()
            if found < least:
                problems.append(f"{name} must be at least {_shown(least)} (got {get(name)!r}).")
            return found

        reminder_offsets = offsets("CONVENE_REMINDERS", "7d,1d,2h")
        meeting_offsets = offsets("CONVENE_MEETING_REMINDERS", "1d,1h")
        try:
            quiet = QuietHours.parse(get("CONVENE_QUIET_HOURS") or "21:00-08:00")
        except ValueError:
            problems.append(
                "CONVENE_QUIET_HOURS must be a local time window like 21:00-08:00, or off "
                f"(got {get('CONVENE_QUIET_HOURS')!r})."
            )
            quiet = QuietHours(time(0), time(0))
        skip = get("CONVENE_SKIP_DAYS_OFF").lower() or "no"
        if skip not in {"yes", "no", "true", "false", "1", "0"}:
            problems.append(f"CONVENE_SKIP_DAYS_OFF must be yes or no (got {skip!r}).")
        grace = duration("CONVENE_REMINDER_GRACE", "6h")
        past_due = duration("CONVENE_PAST_DUE_AFTER", "7d", timedelta(hours=1))
        # Zero would forget every revoked member, or empty every answer, at the next purge.
        retain_revoked = duration("CONVENE_RETAIN_REVOKED", "365d", timedelta(days=1))
        retain_answers = duration("CONVENE_RETAIN_ANSWERS", "1095d", timedelta(days=1))
        files_dir = Path(get("CONVENE_FILES_DIR") or "files")
        unwritable = _unwritable(files_dir)
        if unwritable:
            problems.append(f"CONVENE_FILES_DIR {str(files_dir)!r}: {unwritable}.")

        reported = len(problems)
        give_up = duration("CONVENE_DELIVERY_GIVE_UP", "24h")
        if len(problems) == reported and give_up <= timedelta(0):
            problems.append("CONVENE_DELIVERY_GIVE_UP must be longer than zero, like 24h.")
        alert_text = get("CONVENE_ALERT_CHAT")
        alert_chat: int | None = None
        if alert_text:
            if re.fullmatch(r"-?[0-9]{1,20}", alert_text):
                alert_chat = int(alert_text)
            else:
                problems.append(
                    "CONVENE_ALERT_CHAT must be a Telegram chat id: a user id, or a group's "
                    f"negative id (got {alert_text!r})."
                )

        webhook_url = get("CONVENE_WEBHOOK_URL") or None
        webhook_secret = get("CONVENE_WEBHOOK_SECRET") or None
        if webhook_url is not None:
            if not webhook_url.startswith("https://") and not webhook_url.startswith(
                ("http://127.0.0.1", "http://localhost")
            ):
                problems.append(
                    "CONVENE_WEBHOOK_URL must be an https:// URL that reaches this bot through "
                    f"your reverse proxy (got {webhook_url!r})."
                )
            if webhook_secret is None or not _SECRET.match(webhook_secret):
                problems.append(
                    "CONVENE_WEBHOOK_SECRET must be set with CONVENE_WEBHOOK_URL: 1 to 256 "
                    "letters, digits, _ or -. Telegram sends it with every update and the bot "
                    "refuses requests without it. Make one with: python3 -c "
                    '"import secrets; print(secrets.token_urlsafe(32))"'
                )
        port_text = get("CONVENE_WEBHOOK_PORT") or "8443"
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            problems.append(f"CONVENE_WEBHOOK_PORT must be a port number (got {port_text!r}).")
            port_text = "8443"

        if problems:
            raise SettingsError(problems)
        return cls(
            bot_token=token,
            database_url=database_url,
            telegram_api_url=api_url,
            default_locale=default_locale,
            timezone=timezone,
            admins=tuple(dict.fromkeys(admins)),
            reminder_offsets=reminder_offsets,
            meeting_reminder_offsets=meeting_offsets,
            quiet_hours=quiet,
            skip_days_off=skip in {"yes", "true", "1"},
            reminder_grace=grace,
            past_due_after=past_due,
            files_dir=files_dir,
            retain_revoked=retain_revoked,
            retain_answers=retain_answers,
            webhook_url=webhook_url,
            webhook_secret=webhook_secret,
            webhook_listen=get("CONVENE_WEBHOOK_LISTEN") or "127.0.0.1",
            webhook_port=int(port_text),
            delivery_give_up=give_up,
            alert_chat=alert_chat,
        )


def _shown(duration: timedelta) -> str:
    if duration % timedelta(days=1) == timedelta():
        return f"{duration.days}d"
    return f"{int(duration.total_seconds() // 3600)}h"


def _unwritable(folder: Path) -> str | None:
    """Why documents cannot be saved under `folder` (created at the first one), or None."""
    if folder.exists():
        if not folder.is_dir():
            return "is a file, not a folder"
        return None if os.access(folder, os.W_OK | os.X_OK) else "cannot be written"
    parent = folder.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        return f"cannot be created: {parent} is a file"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"cannot be created: {parent} cannot be written"
    return None


def normalize_database_url(url: str) -> str:
    """Accept the plain driver-less spellings people copy from elsewhere."""
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url.removeprefix(prefix)
    return url


def redact_url(url: str) -> str:
    """Hide a password in a database URL before it reaches a message or a log."""
    scheme, sep, rest = url.partition("://")
    if "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}:***@{host}"


def is_valid_timezone(name: str) -> bool:
    if not name or name.startswith("/") or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
