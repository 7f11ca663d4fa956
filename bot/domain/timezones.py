"""Understanding a time zone a person types: "Europe/Skopje", "skopje", "Kyiv", "Скопје",
"Tiranë", "Beograd", "İstanbul": the zone's name, or its city as any of our languages
writes it, in any case and with or without accents."""

from __future__ import annotations

import unicodedata
from functools import cache
from zoneinfo import available_timezones

from babel import Locale
from babel.core import get_global

from bot.config import is_valid_timezone
from bot.i18n import LANGUAGES

# Capitals without a zone of their own in the IANA database, as people write them.
_CITIES_WITHOUT_A_ZONE = {
    "Europe/Belgrade": ("Pristina", "Prishtina", "Prishtinë", "Priština", "Приштина"),
}

# Letters that Unicode does not decompose into a base letter and an accent.
_PLAIN = str.maketrans({"ı": "i", "đ": "d", "ł": "l", "ø": "o", "ħ": "h", "ŧ": "t"})


def _key(text: str) -> str:
    """Case, accents, spaces and underscores do not matter: "İstanbul" is "istanbul"."""
    folded = unicodedata.normalize("NFKD", text.casefold().translate(_PLAIN))
    bare = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(bare.replace("_", " ").split())


@cache
def _by_key() -> dict[str, str]:
    available = available_timezones()
    index: dict[str, str] = {}
    # CLDR's names first (Europe/Istanbul, Europe/Kyiv), then the older links
    # (Asia/Istanbul, Europe/Kiev): a city typed finds the zone's current name.
    canonical = set(get_global("zone_territories"))
    for name in sorted(available, key=lambda name: (name not in canonical, name)):
        if "/" not in name or name.startswith(("Etc/", "SystemV/", "US/", "posix/", "right/")):
            continue
        index.setdefault(_key(name), name)
        index.setdefault(_key(name.rsplit("/", 1)[1]), name)
    # The cities as each of our languages writes them (CLDR's exemplar cities).
    for language in LANGUAGES:
        for name, names in Locale.parse(language.babel_id).time_zones.items():
            city = names.get("city")
            if city and name in available:
                index.setdefault(_key(str(city)), name)
    for name, cities in _CITIES_WITHOUT_A_ZONE.items():
        for city in cities:
            index.setdefault(_key(city), name)
    return index


def resolve_timezone(text: str) -> str | None:
    """An IANA zone name for what was typed, or None if nothing matches."""
    key = _key(text)
    if not key:
        return None
    found = _by_key().get(key)
    if found:
        return found
    if key == "utc" and is_valid_timezone("UTC"):
        return "UTC"
    return None
