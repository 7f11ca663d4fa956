"""Languages, plural forms per CLDR, the translator, and the catalogs themselves."""

from __future__ import annotations

import gettext
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from babel import Locale

from bot import i18n_tools
from bot.i18n import (
    LANGUAGES,
    LOCALES_DIR,
    PLURAL_FORMS,
    SUPPORTED_LOCALES,
    I18n,
    Raw,
    match_locale,
)

CLDR_ORDER = ["zero", "one", "two", "few", "many", "other"]


@pytest.mark.parametrize("code", SUPPORTED_LOCALES)
def test_plural_forms_follow_cldr(code: str) -> None:
    language = next(lang for lang in LANGUAGES if lang.code == code)
    rule = Locale.parse(language.babel_id).plural_form
    expression = PLURAL_FORMS[code].split("plural=", 1)[1].rstrip(";")
    choose = gettext.c2py(expression)
    categories = sorted({rule(n) for n in range(0, 1000)} | {"other"}, key=CLDR_ORDER.index)
    assert len(categories) == i18n_tools.plural_count(code)
    for n in range(0, 1000):
        assert categories[choose(n)] == rule(n), (code, n)


def test_language_picker_names_and_matching() -> None:
    assert [lang.native_name for lang in LANGUAGES][:6] == [
        "Shqip", "Bosanski", "Hrvatski", "Српски", "Srpski", "Crnogorski",
    ]  # fmt: skip
    assert len(LANGUAGES) == 20
    assert match_locale("sr", "en") == "sr_Cyrl"
    assert match_locale("sr-Latn", "en") == "sr_Latn"
    assert match_locale("pt-br", "en") == "en"
    assert match_locale("uk", "en") == "uk"
    assert match_locale(None, "it") == "it"


def test_translator_escapes_values_and_formats_for_the_reader() -> None:
    i18n = I18n("en")
    en = i18n.translator("en")
    assert en.gettext("Name: {name}", name="<b>x</b>") == "Name: &lt;b&gt;x&lt;/b&gt;"
    assert en.gettext("Name: {name}", name=Raw("<b>x</b>")) == "Name: <b>x</b>"
    moment = datetime(2026, 9, 10, 12, 0, tzinfo=UTC)
    assert en.datetime(moment, "Asia/Tbilisi") == "Sep 10, 2026, 16:00 (Asia/Tbilisi)"
    assert (
        i18n.translator("sr_Cyrl")
        .datetime(moment, "Europe/Belgrade")
        .startswith("10. 9. 2026. 14:00")
    )
    assert i18n.translator("el").country("MK") != "North Macedonia"
    assert i18n.translator("unknown").locale == "en"


def test_ngettext_uses_the_readers_plural_rules() -> None:
    ru = I18n("en").translator("ru")
    forms = {ru.ngettext("<b>{n} member</b>", "<b>{n} members</b>", n) for n in (1, 2, 5)}
    assert len(forms) == 3 or all("member" in f for f in forms)  # 3 forms once translated


def test_catalogs_are_complete_and_consistent() -> None:
    """The catalog check: complete, no fuzzy, CLDR plurals, same placeholders and tags."""
    problems = i18n_tools.check()
    assert problems == [], "\n".join(problems[:30])


def test_compile_refuses_changed_placeholders_and_html(tmp_path: Path) -> None:
    locales = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, locales, ignore=shutil.ignore_patterns("*.mo"))
    po = locales / "it" / "LC_MESSAGES" / "messages.po"
    text = po.read_text()
    start = text.index('msgid "Name: {name}"')
    end = text.index("\n\n", start)
    po.write_text(
        text[:start] + 'msgid "Name: {name}"\nmsgstr "<script>{nome}</script>"' + text[end:]
    )
    problems = i18n_tools.compile_all(locales)
    assert any("placeholders" in p for p in problems)
    assert any("HTML tags" in p for p in problems)
    assert not (locales / "it" / "LC_MESSAGES" / "messages.mo").exists()


def test_startup_fails_without_compiled_catalogs(tmp_path: Path) -> None:
    from bot.i18n import CatalogMissingError

    with pytest.raises(CatalogMissingError, match="convene i18n compile"):
        I18n("en", locales_dir=tmp_path)


@pytest.mark.parametrize("code", SUPPORTED_LOCALES)
def test_times_are_24_hour_in_every_language(code: str) -> None:
    """Officials of the region read 24-hour time, English and Albanian included."""
    t = I18n("en").translator(code)
    evening = datetime(2026, 12, 10, 20, 30, tzinfo=UTC)  # 21:30 in Belgrade
    shown = t.datetime(evening, "Europe/Belgrade")
    assert "21:30" in shown, shown
    assert "9:30" not in shown.replace("21:30", "")
    period = t.period(evening, evening.replace(hour=22), "Europe/Belgrade")
    assert "21:30–23:30" in period, period
    for marker in ("PM", "AM", "p.d.", "e pasdites", "μ.μ."):
        assert marker not in shown and marker not in period


def test_albanian_reads_a_belgrade_morning_in_24_hour_form() -> None:
    sq = I18n("en").translator("sq")
    morning = datetime(2026, 12, 10, 8, 30, tzinfo=UTC)
    assert sq.datetime(morning, "Europe/Tirane") == "10 dhj 2026, 09:30 (Europe/Tirane)"


def test_montenegrin_names_and_relative_times_are_ijekavian() -> None:
    cnr = I18n("en").translator("cnr")
    assert cnr.country("MK") == "Sjeverna Makedonija"
    assert cnr.country("DE") == "Njemačka"
    assert cnr.relative(timedelta(days=14)) == "za 2 sedmice"
    assert cnr.relative(timedelta(days=-3)) == "prije 3 dana"
    assert cnr.relative(timedelta(days=60)) == "za 2 mjeseca"
    # Dates keep Montenegro's own format.
    assert cnr.datetime(datetime(2026, 9, 10, 12, 0, tzinfo=UTC), "Europe/Podgorica") == (
        "10. 9. 2026. 14:00 (Europe/Podgorica)"
    )
    # Serbian stays ekavian.
    assert I18n("en").translator("sr_Latn").country("DE") == "Nemačka"


def test_serbian_latin_is_the_cyrillic_letter_for_letter() -> None:
    assert i18n_tools.serbian_latin("Још не знам") == "Još ne znam"
    assert (
        i18n_tools.serbian_latin("Љубав, Њиве, Џеп, ЉУБАВ, ЊИВЕ")
        == "Ljubav, Njive, Džep, LJUBAV, NJIVE"
    )
    # Placeholders, tags, entities, commands and links stay as written.
    assert (
        i18n_tools.serbian_latin("<b>Члан {name}</b> &amp; /status https://пример.рс — ћ")
        == "<b>Član {name}</b> &amp; /status https://пример.рс — ć"
    )
    cyrillic = I18n("en").translator("sr_Cyrl")
    latin = I18n("en").translator("sr_Latn")
    assert latin.pgettext("rsvp", "Not sure yet") == "Još ne znam"
    assert cyrillic.pgettext("rsvp", "Not sure yet") == "Још не знам"
    assert latin.pgettext("short", "not sure") == i18n_tools.serbian_latin(
        cyrillic.pgettext("short", "not sure")
    )


def test_the_catalog_check_refuses_serbian_scripts_that_drift_apart(tmp_path: Path) -> None:
    cyrillic = i18n_tools._read(i18n_tools.po_path("sr_Cyrl"), "sr_Cyrl")
    latin = i18n_tools._read(i18n_tools.po_path("sr_Latn"), "sr_Latn")
    assert i18n_tools.script_problems(cyrillic, latin) == []
    latin.get("Not sure yet", "rsvp").string = "Još nije sigurno"
    problems = i18n_tools.script_problems(cyrillic, latin)
    assert len(problems) == 1 and "Još ne znam" in problems[0]


def test_reviewers_corrections_stay_corrected() -> None:
    i18n = I18n("en")
    sq, cnr, hu, el = (i18n.translator(code) for code in ("sq", "cnr", "hu", "el"))
    assert sq.pgettext("rsvp", "Not sure yet") == "Ende nuk e di"
    assert sq.gettext("Discard") == "Fshije draftin"
    assert "Vaše" not in cnr.gettext(
        "Send the two-letter ISO code of your country, for example FR for France."
    )
    assert hu.gettext("any") == "bármelyik"
    assert "εθνικό σημείο επαφής" in el.gettext("by the secretariat or a focal point")
    for code, phrase in (
        ("sr_Cyrl", "необавезну адресу е-поште"),
        ("sr_Latn", "neobaveznu adresu e-pošte"),
    ):
        catalog = i18n_tools._read(i18n_tools.po_path(code), code)
        notice = next(m for m in catalog if isinstance(m.id, str) and m.id.startswith("<b>Privacy"))
        assert phrase in notice.string
    # Team names stand after a colon where the grammar would need a case ending.
    for code in ("ru", "uk", "hy"):
        welcome = i18n.translator(code).gettext(
            "Welcome to Convene, the coordination bot of {teams}.\n\nPlease choose your language.",
            teams="X",
        )
        assert ": X" in welcome or "՝ X" in welcome, welcome
