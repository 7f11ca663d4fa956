"""Understanding a time zone a person types: "Europe/Skopje", "skopje", "Kyiv"."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from bot.config import is_valid_timezone


@cache
def _by_key() -> dict[str, str]:
    index: dict[str, str] = {}
    for name in sorted(available_timezones()):
        if "/" not in name or name.startswith(("Etc/", "SystemV/", "US/", "posix/", "right/")):
            continue
        index.setdefault(name.lower(), name)
        city = name.rsplit("/", 1)[1].replace("_", " ").lower()
        index.setdefault(city, name)
    return index


def resolve_timezone(text: str) -> str | None:
    """An IANA zone name for what was typed, or None if nothing matches."""
    key = " ".join(text.strip().split()).lower()
    if not key:
        return None
    found = _by_key().get(key) or _by_key().get(key.replace(" ", "_"))
    if found:
        return found
    if key == "utc" and is_valid_timezone("UTC"):
        return "UTC"
    return None
