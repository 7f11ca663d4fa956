"""Settings: parsed once, every problem reported together."""

from __future__ import annotations

import pytest

from bot.config import Settings, SettingsError, redact_url


def test_defaults() -> None:
    settings = Settings.parse({})
    assert settings.bot_token is None
    assert settings.database_url == "sqlite+aiosqlite:///convene.db"
    assert settings.base_url == "https://api.telegram.org/bot"
    assert settings.base_file_url == "https://api.telegram.org/file/bot"
    assert settings.default_locale == "en"
    assert settings.timezone == "Europe/Belgrade"
    assert settings.admins == ()


def test_all_problems_are_reported_at_once() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.parse(
            {
                "TELEGRAM_BOT_TOKEN": "not a token",
                "CONVENE_DATABASE_URL": "mysql://u:secret@h/db",
                "CONVENE_TELEGRAM_API_URL": "ftp://x",
                "CONVENE_DEFAULT_LOCALE": "de",
                "CONVENE_TIMEZONE": "Mars/Olympus",
                "CONVENE_ADMINS": "12, bob",
            }
        )
    problems = caught.value.problems
    assert len(problems) == 6
    assert "secret" not in str(caught.value)


def test_missing_token_explains_how_to_get_one() -> None:
    with pytest.raises(SettingsError, match="@BotFather"):
        Settings.parse({}).require_token()


def test_local_bot_api_server_and_normalized_urls() -> None:
    settings = Settings.parse(
        {
            "TELEGRAM_BOT_TOKEN": "123:abc",
            "CONVENE_TELEGRAM_API_URL": "http://127.0.0.1:8081/",
            "CONVENE_DATABASE_URL": "postgresql://convene@db/convene",
            "CONVENE_ADMINS": "1 2,2;3",
        }
    )
    assert settings.base_url == "http://127.0.0.1:8081/bot"
    assert settings.base_file_url == "http://127.0.0.1:8081/file/bot"
    assert settings.database_url == "postgresql+asyncpg://convene@db/convene"
    assert settings.admins == (1, 2, 3)


def test_env_file_fills_in_what_the_environment_does_not_set(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = tmp_path / ".env"
    env.write_text("TELEGRAM_BOT_TOKEN=1:fromfile\nCONVENE_TIMEZONE=Europe/Skopje\n")
    settings = Settings.load({"CONVENE_TIMEZONE": "Europe/Sofia"}, env_file=env)
    assert settings.bot_token == "1:fromfile"
    assert settings.timezone == "Europe/Sofia"


def test_redact_url() -> None:
    assert redact_url("postgresql+asyncpg://u:pw@h/db") == "postgresql+asyncpg://u:***@h/db"
    assert redact_url("sqlite+aiosqlite:///x.db") == "sqlite+aiosqlite:///x.db"


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("CONVENE_RETAIN_ANSWERS", "0d", "at least 1d"),
        ("CONVENE_RETAIN_ANSWERS", "12h", "at least 1d"),
        ("CONVENE_RETAIN_REVOKED", "0d", "at least 1d"),
        ("CONVENE_PAST_DUE_AFTER", "0h", "at least 1h"),
        ("CONVENE_RETAIN_ANSWERS", "-5d", "a duration like"),
    ],
)
def test_periods_that_would_empty_the_record_are_refused(name: str, value: str, said: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.parse({name: value})
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith(name) and said in caught.value.problems[0]


def test_a_files_dir_that_cannot_be_written_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x", encoding="utf-8")
    for value, said in [
        (str(a_file), "is a file, not a folder"),
        (str(a_file / "files"), f"cannot be created: {a_file} is a file"),
    ]:
        with pytest.raises(SettingsError) as caught:
            Settings.parse({"CONVENE_FILES_DIR": value})
        assert caught.value.problems == [f"CONVENE_FILES_DIR {value!r}: {said}."]
    fresh = tmp_path / "documents" / "answers"  # made when the first document arrives
    assert Settings.parse({"CONVENE_FILES_DIR": str(fresh)}).files_dir == fresh
