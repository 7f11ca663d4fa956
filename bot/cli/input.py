"""What the operator gives `convene`: files and their fields, each checked for its type.

A mistake is an `InputError` whose message is one line that names the file and the field
(or the option); `bot.cli.main` prints it and exits with 1, before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

from bot.config import is_valid_timezone

E = TypeVar("E", bound=Enum)

# The largest row number either backend stores (PostgreSQL's integer), and Telegram's ids
# (PostgreSQL's bigint).
MAX_NUMBER = 2**31 - 1
MAX_TELEGRAM_ID = 2**63 - 1


class InputError(ValueError):
    """A file, field or option that cannot be used; the message says which and why."""


def read_text(path: str) -> str:
    """A file's text; it must exist and be UTF-8."""
    file = Path(path)
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise InputError(f"no file {path!r}") from None
    except IsADirectoryError:
        raise InputError(f"{path} is a folder, not a file") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read it ({error.strerror})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            f"{path}: not UTF-8 text (byte {error.start + 1}); save it as UTF-8"
        ) from None


def read_data_file(path: str) -> dict[str, Any]:
    """The fields of a YAML or TOML file (by its suffix): a mapping."""
    text = read_text(path)
    if Path(path).suffix.lower() == ".toml":
        import tomllib

        try:
            data: Any = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise InputError(f"{path}: not valid TOML: {_one_line(str(error))}") from None
    else:
        data = _load_yaml(path, text)
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping of fields (name: value)")
    return data


def _load_yaml(path: str, text: str) -> Any:
    import yaml

    class Loader(yaml.SafeLoader):
        """YAML without its implicit dates: "2027-02-30" stays text, read (and refused)
        by the field that expects a date, which can then say which field it is."""

    Loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    try:
        return yaml.load(text, Loader=Loader)  # a SafeLoader
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InputError(f"{path}: not valid YAML{where}: {error.problem}") from None
    except yaml.YAMLError as error:
        raise InputError(f"{path}: not valid YAML: {_one_line(str(error))}") from None


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _shown(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


class Fields:
    """The fields of a file (`where` is its path) or of the options (`where` None: the
    fields are named as options, "--start"). Each getter checks the type it returns."""

    def __init__(self, values: Mapping[str, Any], where: str | None) -> None:
        self.values = values
        self.where = where

    def name(self, key: str) -> str:
        if self.where is None:
            return "--" + key.replace("_", "-")
        return f"{self.where}: {key!r}"

    def error(self, key: str, problem: str) -> InputError:
        return InputError(f"{self.name(key)}: {problem}")

    def _get(self, keys: tuple[str, ...]) -> tuple[str, Any]:
        for key in keys:
            value = self.values.get(key)
            if value is not None and value != "":
                return key, value
        return keys[0], None

    def text(self, *keys: str, default: str = "", required: bool = False) -> str:
        key, value = self._get(keys)
        if value is None:
            if required:
                raise self.error(key, "is required")
            return default
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        raise self.error(key, f"must be text, not {_kind(value)}")

    def optional_text(self, *keys: str) -> str | None:
        return self.text(*keys) or None

    def flag(self, *keys: str) -> bool:
        key, value = self._get(keys)
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in {
            "yes",
            "true",
            "1",
            "no",
            "false",
            "0",
        }:
            return value.strip().lower() in {"yes", "true", "1"}
        raise self.error(key, f"must be true or false, not {_shown(value)}")

    def optional_flag(self, *keys: str) -> bool | None:
        key, value = self._get(keys)
        return None if value is None else self.flag(key)

    def words(self, *keys: str) -> tuple[str, ...]:
        """A list of short texts; a text is split at commas and spaces."""
        key, value = self._get(keys)
        if value is None:
            return ()
        if isinstance(value, str):
            return tuple(w for w in re.split(r"[,\s]+", value) if w)
        if isinstance(value, list | tuple):
            for item in value:
                if not isinstance(item, str | int) or isinstance(item, bool):
                    raise self.error(key, f"must list texts; {_shown(item)} is {_kind(item)}")
            return tuple(str(item).strip() for item in value if str(item).strip())
        raise self.error(key, f"must be a list, not {_kind(value)}")

    def texts(self, *keys: str) -> tuple[str, ...]:
        """A list of texts, each kept whole (choices, which may hold spaces)."""
        key, value = self._get(keys)
        if value is None:
            return ()
        if not isinstance(value, list | tuple):
            raise self.error(key, f"must be a list of texts, not {_kind(value)}")
        for item in value:
            if not isinstance(item, str | int) or isinstance(item, bool):
                raise self.error(key, f"must list texts; {_shown(item)} is {_kind(item)}")
        return tuple(str(item) for item in value)

    def numbers(self, *keys: str) -> tuple[int, ...]:
        """A list of positive numbers (members' numbers)."""
        key, value = self._get(keys)
        if value is None:
            return ()
        items = value if isinstance(value, list | tuple) else [value]
        found = []
        for item in items:
            number = _positive(item)
            if number is None:
                raise self.error(
                    key, f"must list numbers such as [12, 15]; {_shown(item)} is not one"
                )
            found.append(number)
        return tuple(found)

    def mapping(self, *keys: str) -> dict[str, Any]:
        key, value = self._get(keys)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.error(key, f"must be a mapping of fields (name: value), not {_kind(value)}")
        return value

    def texts_by_language(self, *keys: str) -> dict[str, str]:
        """{locale: text}."""
        key = self._get(keys)[0]
        found = {}
        for locale, text in self.mapping(*keys).items():
            if not isinstance(text, str):
                raise self.error(key, f"the {locale} text must be text, not {_kind(text)}")
            found[str(locale)] = text
        return found

    def fields_by_language(self, *keys: str) -> dict[str, Fields]:
        """{locale: the fields in that language}."""
        key = self._get(keys)[0]
        found = {}
        for locale, fields in self.mapping(*keys).items():
            if not isinstance(fields, dict):
                raise self.error(key, f"{locale} must be a mapping of fields, not {_kind(fields)}")
            found[str(locale)] = Fields(fields, f"{self.name(key)}: {locale}")
        return found

    def zone(self, *keys: str, default: str) -> str:
        key, value = self._get(keys)
        name = self.text(*keys) if value is not None else default
        if not is_valid_timezone(name):
            raise self.error(key, f"{name!r} is not an IANA time zone such as Europe/Belgrade")
        return name

    def choice(self, enum: type[E], *keys: str, default: E) -> E:
        key, value = self._get(keys)
        if value is None:
            return default
        try:
            return enum(self.text(*keys).strip().lower())
        except ValueError:
            allowed = ", ".join(str(member.value) for member in enum)
            raise self.error(key, f"must be one of {allowed}, not {_shown(value)}") from None

    def required_moment(self, key: str, timezone: str) -> datetime:
        """Like `moment(required=True)`, typed as never missing."""
        found = self.moment(key, timezone, required=True)
        assert found is not None  # a missing one was refused with its field named
        return found

    def moment(
        self, key: str, timezone: str, *, end_of_day: bool = False, required: bool = False
    ) -> datetime | None:
        """A local date [and time] in `timezone`, as aware UTC; a real one."""
        from bot.domain.meetings import parse_local_datetime
        from bot.i18n import zone

        value = self.values.get(key)
        example = "2027-09-10" if end_of_day else "2027-09-10 09:30"
        if value is None or value == "":
            if required:
                raise self.error(key, f"is required (e.g. {example})")
            return None
        if isinstance(value, datetime):  # TOML's dates
            if value.tzinfo is not None:
                value = value.astimezone(zone(timezone))
            text = value.strftime("%Y-%m-%d %H:%M")
        elif isinstance(value, date):
            text = value.isoformat()
        elif isinstance(value, str):
            text = value
        else:
            raise self.error(key, f"must be a date and time such as {example}, not {_kind(value)}")
        moment = parse_local_datetime(text, timezone, end_of_day=end_of_day)
        if moment is None:
            raise self.error(
                key, f"cannot read {text!r}: not a date and time in {timezone} such as {example}"
            )
        return moment


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, int | float):
        return "a number"
    return "text" if isinstance(value, str) else type(value).__name__


def _positive(value: Any, limit: int = MAX_NUMBER) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        number = int(value.strip())
    else:
        return None
    return number if 1 <= number <= limit else None


def row_number(text: str) -> int:
    """argparse type: the number of a meeting, request, plan, notice or invitation."""
    import argparse

    number = _positive(text.lstrip("#"))
    if number is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number such as 12")
    return number


def telegram_id(text: str) -> int:
    """argparse type: a Telegram user id (a positive number)."""
    import argparse

    number = _positive(text, MAX_TELEGRAM_ID)
    if number is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a Telegram user id (a positive number such as 123456789)"
        )
    return number
