"""Time zones typed as people write their city, in every language we speak."""

from __future__ import annotations

import pytest
from babel import Locale

from bot.domain.timezones import resolve_timezone
from bot.i18n import LANGUAGES


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Europe/Skopje", "Europe/Skopje"),
        ("europe/skopje", "Europe/Skopje"),
        ("new york", "America/New_York"),
        ("Tirana", "Europe/Tirane"),
        ("TIRANË", "Europe/Tirane"),
        ("Beograd", "Europe/Belgrade"),
        ("Београд", "Europe/Belgrade"),
        ("Скопје", "Europe/Skopje"),
        ("Shkup", "Europe/Skopje"),
        ("Priština", "Europe/Belgrade"),
        ("Prishtinë", "Europe/Belgrade"),
        ("Roma", "Europe/Rome"),
        ("İstanbul", "Europe/Istanbul"),
        ("istanbul", "Europe/Istanbul"),
        ("Bakı", "Asia/Baku"),
        ("Baki", "Asia/Baku"),
        ("Αθήνα", "Europe/Athens"),
        ("București", "Europe/Bucharest"),
        ("Bucuresti", "Europe/Bucharest"),
        ("Кишинёв", "Europe/Chisinau"),
        ("თბილისი", "Asia/Tbilisi"),
        ("UTC", "UTC"),
    ],
)
def test_a_city_in_any_of_our_languages_finds_its_zone(typed: str, zone: str) -> None:
    assert resolve_timezone(typed) == zone


@pytest.mark.parametrize("typed", ["", "   ", "Mars/Olympus", "Atlantis", "Narnia", "../etc"])
def test_what_is_no_zone_is_not_found(typed: str) -> None:
    assert resolve_timezone(typed) is None


def test_every_exemplar_city_of_every_language_is_understood() -> None:
    for language in LANGUAGES:
        for zone, names in Locale.parse(language.babel_id).time_zones.items():
            city = names.get("city")
            if city and not zone.startswith("Etc/"):
                found = resolve_timezone(str(city))
                assert found is not None, (language.code, city)
