"""Catalog tooling, after Indico's `indico i18n`: extract, update, compile, check.

convene i18n extract   scan bot/ and handlers/ into locales/messages.pot
convene i18n update    merge the template into every locales/<code>/LC_MESSAGES/messages.po
convene i18n compile   write the .mo files; refuses catalogs whose placeholders or HTML
                       tags differ from the source ("no one sneaks in dangerous HTML")
convene i18n check     fail unless every catalog is complete: current with the code, every
                       message translated, nothing fuzzy, CLDR plural forms, same
                       placeholders and tags as the source
"""

from __future__ import annotations

import io
import os
import re
import string
import sys
from collections import Counter
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from bot.i18n import (
    DOMAIN,
    LOCALES_DIR,
    PLURAL_FORMS,
    SOURCE_LOCALE,
    SUPPORTED_LOCALES,
    plural_count,
)

ROOT = LOCALES_DIR.parent
SOURCE_DIRS = ("bot", "handlers")
TEMPLATE = LOCALES_DIR / f"{DOMAIN}.pot"
_TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def po_path(locale: str, locales_dir: Path = LOCALES_DIR) -> Path:
    return locales_dir / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract() -> Catalog:
    """Every translatable string in the code, as a template catalog."""
    catalog = Catalog(project="Convene", msgid_bugs_address="", charset="utf-8")
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    for directory in SOURCE_DIRS:
        for filename, lineno, message, comments, context in extract_from_dir(
            ROOT / directory,
            method_map=[("**.py", "python")],
            keywords=keywords,
            comment_tags=("Translators:",),
            strip_comment_tags=True,
        ):
            catalog.add(
                message,
                None,
                [(f"{directory}/{filename}", lineno)],
                auto_comments=comments,
                context=context,
            )
    return catalog


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale, domain=DOMAIN)


def _write(path: Path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    # No source locations and a stable order: a catalog changes only where a message does,
    # so work on different features merges without conflicts in twenty catalogs.
    write_po(
        buffer,
        catalog,
        width=100,
        omit_header=False,
        include_previous=False,
        no_location=True,
        sort_output=True,
    )
    path.write_bytes(buffer.getvalue())


def _set_plural_forms(catalog: Catalog, locale: str) -> None:
    forms = PLURAL_FORMS[locale]
    # Babel has no public setter for these.
    catalog._num_plurals = plural_count(locale)  # type: ignore[assignment]
    catalog._plural_expr = forms.split("plural=", 1)[1].rstrip(";")  # type: ignore[assignment]


def write_template() -> None:
    _write(TEMPLATE, extract())


def update() -> None:
    template = _read(TEMPLATE)
    for locale in SUPPORTED_LOCALES:
        path = po_path(locale)
        if path.exists():
            catalog = _read(path, locale)
        else:
            catalog = Catalog(locale=locale, domain=DOMAIN, project="Convene", charset="utf-8")
        _set_plural_forms(catalog, locale)
        catalog.fuzzy = False  # the header is maintained here, not by translators
        catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
        count = plural_count(locale)
        for message in catalog:
            if not message.id:
                continue
            if isinstance(message.id, tuple | list):
                strings = list(message.string) if isinstance(message.string, tuple | list) else []
                strings = (strings + [""] * count)[:count]
                if locale == SOURCE_LOCALE:
                    strings = [message.id[0], message.id[1]]
                message.string = tuple(strings)
            elif locale == SOURCE_LOCALE:
                message.string = message.id
        catalog.obsolete.clear()
        _write(path, catalog)


def placeholders(text: str) -> Counter[str]:
    names: Counter[str] = Counter()
    for _, field, _, _ in string.Formatter().parse(text):
        if field is not None:
            names[field] += 1
    return names


def tags(text: str) -> Counter[str]:
    return Counter(_TAG.findall(text))


def _forms(message: Message) -> list[str]:
    return (
        list(message.string) if isinstance(message.string, tuple | list) else [message.string or ""]
    )


def _label(message: Message) -> str:
    msgid = message.id[0] if isinstance(message.id, tuple | list) else message.id
    return repr(msgid[:60])


def safety_problems(locale: str, catalog: Catalog) -> list[str]:
    """Placeholders and HTML tags that differ from the source: never compiled."""
    problems = []
    for message in catalog:
        if not message.id:
            continue
        sources = list(message.id) if isinstance(message.id, tuple | list) else [message.id]
        source = sources[-1]
        for form in _forms(message):
            if not form:
                continue
            try:
                if set(placeholders(form)) != set(placeholders(source)):
                    problems.append(
                        f"{locale}: {_label(message)}: placeholders "
                        f"{sorted(placeholders(form))} differ from {sorted(placeholders(source))}"
                    )
            except ValueError as error:
                problems.append(f"{locale}: {_label(message)}: malformed placeholder ({error})")
            if tags(form) != tags(source):
                problems.append(f"{locale}: {_label(message)}: HTML tags differ from the source")
    return problems


def completeness_problems(locale: str, catalog: Catalog, template: Catalog) -> list[str]:
    problems = []
    expected = f"nplurals={plural_count(locale)}; plural={catalog.plural_expr};"
    if expected.replace(" ", "") != PLURAL_FORMS[locale].replace(" ", ""):
        problems.append(
            f"{locale}: Plural-Forms is {catalog.plural_forms!r}, expected {PLURAL_FORMS[locale]!r}"
        )
    wanted = {(m.id if isinstance(m.id, str) else tuple(m.id), m.context) for m in template if m.id}
    have = {(m.id if isinstance(m.id, str) else tuple(m.id), m.context) for m in catalog if m.id}
    for msgid, _context in sorted(wanted - have, key=str):
        problems.append(f"{locale}: missing {str(msgid)[:60]!r}; run `convene i18n update`")
    for msgid, _context in sorted(have - wanted, key=str):
        problems.append(f"{locale}: stale {str(msgid)[:60]!r}; run `convene i18n update`")
    for message in catalog:
        if not message.id:
            continue
        if message.fuzzy:
            problems.append(f"{locale}: {_label(message)} is fuzzy")
        forms = _forms(message)
        if isinstance(message.id, tuple | list) and len(forms) != plural_count(locale):
            problems.append(
                f"{locale}: {_label(message)} has {len(forms)} plural forms, needs {plural_count(locale)}"
            )
        if not all(form.strip() for form in forms):
            problems.append(f"{locale}: {_label(message)} is not translated")
    return problems


def compile_all(locales_dir: Path = LOCALES_DIR) -> list[str]:
    problems: list[str] = []
    for locale in SUPPORTED_LOCALES:
        path = po_path(locale, locales_dir)
        if not path.exists():
            problems.append(f"{locale}: no catalog at {path}")
            continue
        catalog = _read(path, locale)
        found = safety_problems(locale, catalog)
        if found:
            problems += found
            continue
        # Written aside and renamed into place: a bot or a test run reading the catalogs
        # meanwhile sees the old file or the new one, never half of one.
        target = path.with_suffix(".mo")
        partial = target.with_name(f".{target.name}.{os.getpid()}")
        with partial.open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        os.replace(partial, target)
    return problems


def check() -> list[str]:
    template = extract()
    current = _read(TEMPLATE) if TEMPLATE.exists() else Catalog()
    problems = []
    ids = {(m.id if isinstance(m.id, str) else tuple(m.id), m.context) for m in template if m.id}
    stored = {(m.id if isinstance(m.id, str) else tuple(m.id), m.context) for m in current if m.id}
    if ids != stored:
        problems.append(
            f"locales/{DOMAIN}.pot is out of date with the code ({len(ids - stored)} new, "
            f"{len(stored - ids)} gone); run `convene i18n extract` then `convene i18n update`"
        )
    for locale in SUPPORTED_LOCALES:
        path = po_path(locale)
        if not path.exists():
            problems.append(f"{locale}: no catalog at {path}")
            continue
        catalog = _read(path, locale)
        problems += completeness_problems(locale, catalog, template)
        problems += safety_problems(locale, catalog)
    cyrillic, latin = po_path("sr_Cyrl"), po_path("sr_Latn")
    if cyrillic.exists() and latin.exists():
        problems += script_problems(_read(cyrillic, "sr_Cyrl"), _read(latin, "sr_Latn"))
    return problems


def main(action: str) -> int:
    if action == "extract":
        write_template()
        print(f"Wrote {TEMPLATE.relative_to(ROOT)}")
        return 0
    if action == "update":
        update()
        print(f"Updated {len(SUPPORTED_LOCALES)} catalogs")
        return 0
    problems = compile_all() if action == "compile" else check()
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in the catalogs.", file=sys.stderr)
        return 1
    if action == "check":
        print(f"All {len(SUPPORTED_LOCALES)} catalogs are complete and consistent.")
    return 0


# -- Serbian: one language, two scripts ------------------------------------------------------

_CYRILLIC_TO_LATIN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "ђ": "đ", "е": "e", "ж": "ž", "з": "z",
    "и": "i", "ј": "j", "к": "k", "л": "l", "љ": "lj", "м": "m", "н": "n", "њ": "nj", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "ћ": "ć", "у": "u", "ф": "f", "х": "h", "ц": "c",
    "ч": "č", "џ": "dž", "ш": "š",
}  # fmt: skip
# What must stay as written: placeholders, HTML tags and entities, commands, links.
_UNTOUCHED = re.compile(r"(\{[^{}]*\}|<[^>]*>|&#?\w+;|/[a-z]+\b|https?://\S+)")


def _latin(char: str, neighbours: str) -> str:
    lower = char.lower()
    latin = _CYRILLIC_TO_LATIN.get(lower)
    if latin is None:
        return char
    if char == lower:
        return latin
    # Љ, Њ, Џ: "Lj" before a lower-case letter, "LJ" in a word written in capitals.
    if len(latin) == 2 and any(c.isupper() for c in neighbours):
        return latin.upper()
    return latin.capitalize()


def serbian_latin(text: str) -> str:
    """The Serbian Latin spelling of a Serbian Cyrillic text, letter for letter; placeholders,
    HTML, commands and links are left as they are."""
    parts = _UNTOUCHED.split(text)
    for index in range(0, len(parts), 2):  # odd indexes are the untouched matches
        part = parts[index]
        parts[index] = "".join(
            _latin(char, part[max(0, i - 1) : i] + part[i + 1 : i + 2])
            for i, char in enumerate(part)
        )
    return "".join(parts)


def script_problems(cyrillic: Catalog, latin: Catalog) -> list[str]:
    """sr_Latn must be sr_Cyrl letter for letter: the same Serbian in the other script."""
    problems = []
    for message in cyrillic:
        if not message.id:
            continue
        other = latin.get(message.id, message.context)
        if other is None:
            continue  # reported as missing by the completeness check
        for form, other_form in zip(_forms(message), _forms(other), strict=False):
            if form and other_form and serbian_latin(form) != other_form:
                problems.append(
                    f"sr_Latn: {_label(message)} is not the Latin spelling of sr_Cyrl: "
                    f"{other_form[:50]!r} instead of {serbian_latin(form)[:50]!r}"
                )
    return problems
