"""Countries (ISO 3166-1 alpha-2) and the time zone a member of each most likely uses."""

from __future__ import annotations

from functools import cache

from babel import Locale
from babel.core import get_global

# Kosovo: the code the EU and the region's bodies use (user-assigned in ISO 3166-1).
KOSOVO = "XK"

# The countries of the source documents, offered as buttons during registration.
SEED_COUNTRIES: tuple[str, ...] = (
    "AL", "BA", "BG", "GR", "HU", "MD", "ME", "MK", "RO", "RS",
    "TR", "HR", "SI", "IT", "AM", "AZ", "GE", "RU", "UA",
)  # fmt: skip

# Where a country spans several zones, the one its capital (and so its ministries) uses.
_CAPITAL_ZONES = {
    "RU": "Europe/Moscow",
    "UA": "Europe/Kyiv",
    "TR": "Europe/Istanbul",
    "ES": "Europe/Madrid",
    "PT": "Europe/Lisbon",
    "DE": "Europe/Berlin",
    "US": "America/New_York",
    "CA": "America/Toronto",
    "AU": "Australia/Sydney",
    KOSOVO: "Europe/Belgrade",
    "KZ": "Asia/Almaty",
    "CY": "Asia/Nicosia",
}


# Codes in CLDR's territory list that are not countries: unions and groupings (EU, EZ,
# UN, QO), pseudo-locales (XA, XB), "Unknown Region" (ZZ), and the parts of countries kept
# apart only for their own formats (Ascension, Clipperton, Sark, Diego Garcia, Ceuta and
# Melilla, the Canary Islands, Tristan da Cunha).
_NOT_COUNTRIES = frozenset(
    {"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ", "AC", "CP", "CQ", "DG", "EA", "IC", "TA"}
)

# Kosovo's name, where a CLDR release lacks it (Babel's data have it today).
_KOSOVO_NAMES = {
    "sq": "Kosova",
    "sr": "Косово",
    "mk": "Косово",
    "bg": "Косово",
    "ru": "Косово",
    "uk": "Косово",
    "el": "Κοσσυφοπέδιο",
    "hu": "Koszovó",
    "tr": "Kosova",
    "hy": "Կոսովո",
    "ka": "კოსოვო",
}


@cache
def _iso_codes() -> frozenset[str]:
    # CLDR's territory list also holds regions ("150"), groupings and pseudo-codes: keep
    # the two-letter codes of countries and territories, and Kosovo.
    names = Locale.parse("en").territories
    found = {code for code in names if isinstance(code, str) and len(code) == 2 and code.isalpha()}
    return frozenset((found - _NOT_COUNTRIES) | {KOSOVO})


def is_country(code: str) -> bool:
    return code in _iso_codes()


def normalize_country(text: str) -> str | None:
    """'rs', ' RS ' -> 'RS'; None unless it is a country's ISO 3166-1 alpha-2 code (or XK)."""
    code = text.strip().upper()
    return code if code in _iso_codes() else None


def country_name(code: str, locale: Locale) -> str:
    """The country's name in `locale`; the code itself for anything unknown."""
    code = code.upper()
    name = locale.territories.get(code)
    if name:
        return str(name)
    if code == KOSOVO:
        if locale.language == "sr" and locale.script == "Latn":
            return "Kosovo"
        return _KOSOVO_NAMES.get(locale.language, "Kosovo")
    return code


def default_timezone(country: str, fallback: str) -> str:
    if country in _CAPITAL_ZONES:
        return _CAPITAL_ZONES[country]
    zones = get_global("territory_zones").get(country, ())
    return zones[0] if len(zones) == 1 else fallback


def timezones_of(country: str) -> tuple[str, ...]:
    zones = tuple(get_global("territory_zones").get(country, ()))
    if not zones and country == KOSOVO:
        return (_CAPITAL_ZONES[KOSOVO],)
    return zones
