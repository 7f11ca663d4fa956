"""Countries (ISO 3166-1 alpha-2) and the time zone a member of each most likely uses."""

from __future__ import annotations

from functools import cache

from babel import Locale
from babel.core import get_global

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
    "KZ": "Asia/Almaty",
    "CY": "Asia/Nicosia",
}


@cache
def _iso_codes() -> frozenset[str]:
    # CLDR's territory list also holds regions ("150") and pseudo-codes; keep only the
    # two-letter codes that CLDR maps to at least one time zone, i.e. real countries.
    zones = get_global("territory_zones")
    names = Locale.parse("en").territories
    return frozenset(code for code in names if len(code) == 2 and code.isalpha() and code in zones)


def normalize_country(text: str) -> str | None:
    """'rs', ' RS ' -> 'RS'; None unless it is a valid ISO 3166-1 alpha-2 code."""
    code = text.strip().upper()
    return code if code in _iso_codes() else None


def default_timezone(country: str, fallback: str) -> str:
    if country in _CAPITAL_ZONES:
        return _CAPITAL_ZONES[country]
    zones = get_global("territory_zones").get(country, ())
    return zones[0] if len(zones) == 1 else fallback


def timezones_of(country: str) -> tuple[str, ...]:
    return tuple(get_global("territory_zones").get(country, ()))
