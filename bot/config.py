"""Settings, parsed once at start-up into a frozen object.

Every problem is collected and reported together, so an operator fixes a
misconfigured deployment in one round instead of one variable at a time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from bot.i18n import SUPPORTED_LOCALES

DEFAULT_API_URL = "https://api.telegram.org"
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
    bot_token: str | None
    database_url: str
    telegram_api_url: str
    default_locale: str
    timezone: str
    admins: tuple[int, ...]

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

        if problems:
            raise SettingsError(problems)
        return cls(
            bot_token=token,
            database_url=database_url,
            telegram_api_url=api_url,
            default_locale=default_locale,
            timezone=timezone,
            admins=tuple(dict.fromkeys(admins)),
        )


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
