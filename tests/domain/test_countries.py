"""Which codes are countries, and what each is called in every language."""

from __future__ import annotations

import pytest
from babel import Locale

from bot.domain.countries import (
    country_name,
    default_timezone,
    normalize_country,
    timezones_of,
)
from bot.i18n import LANGUAGES, I18n


@pytest.mark.parametrize("code", ["ZZ", "EU", "UN", "QO", "XA", "XB", "EZ", "150", "001", "XX"])
def test_regions_groupings_and_pseudo_codes_are_not_countries(code: str) -> None:
    assert normalize_country(code) is None


@pytest.mark.parametrize("text", ["XK", "xk", " Xk "])
def test_kosovo_is_a_country_in_the_europe_belgrade_zone(text: str) -> None:
    assert normalize_country(text) == "XK"
    assert default_timezone("XK", "Europe/Berlin") == "Europe/Belgrade"
    assert timezones_of("XK") == ("Europe/Belgrade",)


def test_the_region_s_countries_are_all_known() -> None:
    for code in ["AL", "BA", "BG", "GR", "HU", "MD", "ME", "MK", "RO", "RS", "TR", "HR", "SI"]:
        assert normalize_country(code.lower()) == code


def test_kosovo_has_a_name_in_every_language() -> None:
    i18n = I18n("en")
    for language in LANGUAGES:
        name = i18n.translator(language.code).country("XK")
        assert name != "XK" and name.strip(), language.code
    assert i18n.translator("sq").country("XK") in {"Kosovë", "Kosova"}
    assert i18n.translator("sr_Cyrl").country("XK") == "Косово"


def test_a_name_missing_from_the_locale_data_still_reads_as_kosovo() -> None:
    class Bare:
        """A locale whose data lack Kosovo, as older CLDR releases did."""

        def __init__(self, language: str, script: str | None = None) -> None:
            self.language, self.script = language, script
            self.territories: dict[str, str] = {}

    assert country_name("XK", Bare("sq")) == "Kosova"  # type: ignore[arg-type]
    assert country_name("xk", Bare("sr", "Cyrl")) == "Косово"  # type: ignore[arg-type]
    assert country_name("XK", Bare("sr", "Latn")) == "Kosovo"  # type: ignore[arg-type]
    assert country_name("XK", Bare("it")) == "Kosovo"  # type: ignore[arg-type]
    assert country_name("QQ", Locale.parse("en")) == "QQ"
