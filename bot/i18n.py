"""Languages, catalogs and the per-recipient translator.

A `Translator` is bound to one locale. Handlers get the one for the update's
user from the per-update context; a broadcast or notification builds one per
recipient. Nothing here reads a global "current locale": with PTB's sequential
update processing a ContextVar set for one user leaks into the next update.
"""

from __future__ import annotations

# The Translator has a method named datetime; inside the class the type is _dt.datetime.
import datetime as _dt
import html
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from functools import cached_property
from gettext import GNUTranslations
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time, format_timedelta, get_timezone_location
from babel.numbers import format_decimal

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"


@dataclass(frozen=True)
class Language:
    code: str  # catalog directory under locales/, and what we store for a member
    native_name: str  # shown in the language picker, in the language itself
    babel_id: str  # Babel/CLDR locale used for dates, numbers and country names
    telegram_code: str | None  # ISO 639-1 code for setMyCommands and matching, if any
    # Babel/CLDR locale for the words (country and city names, "in 2 weeks"), when its
    # formats locale has the wrong ones; None: babel_id.
    names_id: str | None = None


# The order of the language picker: the region's languages, then English.
LANGUAGES: tuple[Language, ...] = (
    Language("sq", "Shqip", "sq", "sq"),
    Language("bs", "Bosanski", "bs", "bs"),
    Language("hr", "Hrvatski", "hr", "hr"),
    # Telegram's "sr" does not say which script; the Serbian Telegram apps are Cyrillic.
    Language("sr_Cyrl", "Српски", "sr_Cyrl", "sr"),
    Language("sr_Latn", "Srpski", "sr_Latn", None),
    # Montenegrin (ISO 639-3) has no two-letter code; CLDR formats it as Serbian Latin (ME),
    # but sr_Latn_ME inherits ekavian words ("Nemačka", "za 2 nedelje"). Montenegrin is
    # ijekavian: the words come from Serbian of Bosnia (sr_Latn_BA: "Njemačka", "za 2 sedmice").
    Language("cnr", "Crnogorski", "sr_Latn_ME", None, names_id="sr_Latn_BA"),
    Language("mk", "Македонски", "mk", "mk"),
    Language("sl", "Slovenščina", "sl", "sl"),
    Language("bg", "Български", "bg", "bg"),
    Language("el", "Ελληνικά", "el", "el"),
    Language("hu", "Magyar", "hu", "hu"),
    Language("ro", "Română", "ro", "ro"),
    Language("tr", "Türkçe", "tr", "tr"),
    Language("it", "Italiano", "it", "it"),
    Language("ru", "Русский", "ru", "ru"),
    Language("uk", "Українська", "uk", "uk"),
    Language("az", "Azərbaycan", "az", "az"),
    Language("hy", "Հայերեն", "hy", "hy"),
    Language("ka", "ქართული", "ka", "ka"),
    Language("en", "English", "en", "en"),
)
LANGUAGE_BY_CODE = {language.code: language for language in LANGUAGES}
SUPPORTED_LOCALES = tuple(LANGUAGE_BY_CODE)
SOURCE_LOCALE = "en"

_SLAVIC_3 = "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<12 || n%100>14) ? 1 : 2);"
_EAST_SLAVIC_4 = (
    "nplurals=4; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<12 || n%100>14)"
    " ? 1 : n%10==0 || (n%10>=5 && n%10<=9) || (n%100>=11 && n%100<=14) ? 2 : 3);"
)
_ONE_OTHER = "nplurals=2; plural=(n != 1);"

# gettext Plural-Forms following CLDR's categories, in CLDR order (one, two, few, many, other).
# Written out because Babel's own table predates CLDR for ru/uk (3 forms) and hu/tr/ka/hy
# (1 form), and its CLDR conversion for Italian uses an operand gettext cannot evaluate.
# tests/bot/test_i18n.py checks each against Babel's CLDR rules for 0..1000.
PLURAL_FORMS: dict[str, str] = {
    "en": _ONE_OTHER,
    "sq": _ONE_OTHER,
    "bg": _ONE_OTHER,
    "el": _ONE_OTHER,
    "hu": _ONE_OTHER,
    "tr": _ONE_OTHER,
    "it": _ONE_OTHER,  # CLDR "many" applies only to compact exponents (1 milione), not counts
    "az": _ONE_OTHER,
    "ka": _ONE_OTHER,
    "mk": "nplurals=2; plural=(n%10==1 && n%100!=11 ? 0 : 1);",
    "hy": "nplurals=2; plural=(n==0 || n==1 ? 0 : 1);",
    "bs": _SLAVIC_3,
    "hr": _SLAVIC_3,
    "sr_Cyrl": _SLAVIC_3,
    "sr_Latn": _SLAVIC_3,
    "cnr": _SLAVIC_3,
    "ro": "nplurals=3; plural=(n==1 ? 0 : (n==0 || (n%100>=1 && n%100<=19)) ? 1 : 2);",
    "sl": "nplurals=4; plural=(n%100==1 ? 0 : n%100==2 ? 1 : n%100==3 || n%100==4 ? 2 : 3);",
    "ru": _EAST_SLAVIC_4,
    "uk": _EAST_SLAVIC_4,
}


def plural_count(locale: str) -> int:
    return int(PLURAL_FORMS[locale].split(";")[0].split("=")[1])


def match_locale(language_code: str | None, default: str) -> str:
    """Map Telegram's IETF language_code (e.g. "sr", "pt-br", "uk") onto a catalog."""
    if not language_code:
        return default
    code = language_code.replace("-", "_").lower()
    for language in LANGUAGES:
        if code == language.code.lower():
            return language.code
    base = code.split("_")[0]
    if base in {"sr"} and ("latn" in code or code.endswith("_me")):
        return "sr_Latn"
    for language in LANGUAGES:
        if base == language.telegram_code:
            return language.code
    return default


class CatalogMissingError(RuntimeError):
    pass


class I18n:
    """Every compiled catalog, loaded once at start-up."""

    def __init__(self, default_locale: str, locales_dir: Path = LOCALES_DIR) -> None:
        self.default_locale = default_locale
        self._catalogs: dict[str, GNUTranslations] = {}
        missing = []
        for code in SUPPORTED_LOCALES:
            path = locales_dir / code / "LC_MESSAGES" / f"{DOMAIN}.mo"
            if not path.is_file():
                missing.append(code)
                continue
            with path.open("rb") as handle:
                self._catalogs[code] = GNUTranslations(handle)
        if missing:
            # Failing here beats members silently reading English: the catalogs were not built.
            raise CatalogMissingError(
                "Compiled catalogs are missing for: "
                + ", ".join(missing)
                + ". Run `convene i18n compile` (python3 dev.py does it for you)."
            )
        self._translators: dict[str, Translator] = {}

    def translator(self, locale: str | None) -> Translator:
        code = locale if locale in self._catalogs else self.default_locale
        translator = self._translators.get(code)
        if translator is None:
            translator = Translator(LANGUAGE_BY_CODE[code], self._catalogs[code])
            self._translators[code] = translator
        return translator


_ZONES: dict[str, ZoneInfo] = {}


def zone(name: str) -> ZoneInfo:
    """ZoneInfo objects held for the process: zoneinfo's strong cache keeps only 8."""
    found = _ZONES.get(name)
    if found is None:
        found = _ZONES[name] = ZoneInfo(name)
    return found


class Translator:
    """Messages, dates and names in one locale.

    Placeholders are named (`{title}`) and their values are HTML-escaped here,
    because every message is sent with parse_mode HTML: a member called
    "<b>Ana</b>" is shown literally, never as markup.
    """

    def __init__(self, language: Language, catalog: GNUTranslations) -> None:
        self.language = language
        self.locale = language.code
        self._catalog = catalog

    @cached_property
    def babel_locale(self) -> Locale:
        return Locale.parse(self.language.babel_id)

    @cached_property
    def names_locale(self) -> Locale:
        """Where country and city names and relative times come from."""
        return Locale.parse(self.language.names_id or self.language.babel_id)

    @cached_property
    def clock_pattern(self) -> str:
        """The locale's short time if it is a 24-hour one, else HH:mm.

        Officials of the region read 24-hour time in every language; CLDR's English,
        Albanian and Greek short times are 12-hour ("9:30 PM", "9:30 e pasdites").
        """
        pattern = str(self.babel_locale.time_formats["short"].pattern)
        return pattern if "H" in pattern and "a" not in pattern else "HH:mm"

    def clock(self, moment: datetime, tz: tzinfo) -> str:
        """The time of day in 24-hour form, e.g. "16:30"."""
        return format_time(moment, self.clock_pattern, tzinfo=tz, locale=self.babel_locale)

    def gettext(self, message: str, /, **params: object) -> str:
        return self._format(self._catalog.gettext(message), params)

    def ngettext(self, singular: str, plural: str, n: int, /, **params: object) -> str:
        params.setdefault("n", n)
        return self._format(self._catalog.ngettext(singular, plural, n), params)

    def pgettext(self, context: str, message: str, /, **params: object) -> str:
        return self._format(self._catalog.pgettext(context, message), params)

    def _format(self, template: str, params: dict[str, object]) -> str:
        if not params:
            return template
        return template.format_map({key: self._value(value) for key, value in params.items()})

    def _value(self, value: object) -> str:
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, int):
            return format_decimal(value, locale=self.babel_locale)
        if isinstance(value, Raw):
            return value.text
        return html.escape(str(value), quote=False)

    def number(self, value: int) -> str:
        return format_decimal(value, locale=self.babel_locale)

    def datetime(self, moment: datetime, timezone: str | tzinfo) -> str:
        """A moment in the reader's time zone, e.g. "23 Nov 2026, 16:30 (Europe/Belgrade)"."""
        tz = zone(timezone) if isinstance(timezone, str) else timezone
        local = moment.astimezone(tz)
        date = format_date(local, "medium", locale=self.babel_locale)
        clock = self.clock(local, tz)
        # The locale's own way of joining them, e.g. "{1}, {0}" or "{1} в {0}".
        pattern = str(self.babel_locale.datetime_formats["medium"])
        return f"{pattern.replace('{1}', date).replace('{0}', clock)} ({getattr(tz, 'key', tz)})"

    def relative(self, delta: timedelta) -> str:
        """ "in 2 hours", "3 days ago", in the reader's language."""
        return format_timedelta(delta, add_direction=True, threshold=1.5, locale=self.names_locale)

    def duration(self, delta: timedelta) -> str:
        """ "1 year", "3 years", "30 days", in the reader's language."""
        return format_timedelta(delta, threshold=1.0, locale=self.names_locale)

    def period(self, start: _dt.datetime, end: _dt.datetime, timezone: str) -> str:
        """A meeting's span: one date when it starts and ends on the same local day."""
        tz = zone(timezone)
        local_start, local_end = start.astimezone(tz), end.astimezone(tz)
        if local_start.date() != local_end.date():
            return f"{self.datetime(start, tz)} – {self.datetime(end, tz)}"
        date = format_date(local_start, "medium", locale=self.babel_locale)
        first = self.clock(local_start, tz)
        last = self.clock(local_end, tz)
        pattern = str(self.babel_locale.datetime_formats["medium"])
        joined = pattern.replace("{1}", date).replace("{0}", f"{first}–{last}")
        return f"{joined} ({tz.key})"

    def language_name(self, code: str) -> str:
        language = LANGUAGE_BY_CODE.get(code)
        return language.native_name if language else code

    def country(self, code: str) -> str:
        from bot.domain.countries import country_name

        return country_name(code, self.names_locale)

    def timezone_name(self, name: str) -> str:
        """The zone's city in the reader's language, e.g. "Белград" for Europe/Belgrade."""
        try:
            return get_timezone_location(zone(name), locale=self.names_locale, return_city=True)
        except (LookupError, ValueError):
            return name


@dataclass(frozen=True)
class Raw:
    """A placeholder value that is already safe HTML (built from other translated parts)."""

    text: str


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later, per recipient."""
    return message
