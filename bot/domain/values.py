"""What people type, as the database may keep it: row numbers, texts, file names.

One rule for the chat and the command line, and the same on SQLite and PostgreSQL:
- a row number is ASCII digits (optionally after "#") and fits PostgreSQL's INTEGER; a
  superscript "²" or an Arabic-Indic digit is not a number, and a number larger than any
  row can have is refused before it reaches a query;
- texts lose their NUL bytes (PostgreSQL refuses them in text; SQLite keeps them);
- file names lose NUL bytes and control characters and are shortened to what the column
  holds, keeping the extension.
"""

from __future__ import annotations

import re

MAX_ID = 2_147_483_647  # the largest value of PostgreSQL's INTEGER, the type of row ids
MAX_FILE_NAME = 255  # storage/schema.py: response_files.file_name
MAX_EXTENSION = 16
_DIGITS = re.compile(r"[0-9]{1,19}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def parse_id(text: str | None) -> int | None:
    """The row number written in `text` ("12", "#12"), or None if it is not one that a row
    can have: not ASCII digits, zero, or beyond MAX_ID."""
    if text is None:
        return None
    value = text.strip().removeprefix("#")
    if not _DIGITS.fullmatch(value):
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None


def clean_text(text: str) -> str:
    """The text without NUL bytes."""
    return text.replace("\x00", "")


def clean_file_name(name: str | None, limit: int = MAX_FILE_NAME) -> str | None:
    """The file name without NUL bytes and control characters, at most `limit` characters,
    its extension kept ("report … .pdf"); None if nothing is left."""
    if name is None:
        return None
    name = _CONTROL.sub("", name).strip()
    if not name:
        return None
    if len(name) <= limit:
        return name
    stem, dot, extension = name.rpartition(".")
    if dot and stem and 0 < len(extension) <= MAX_EXTENSION:
        suffix = "." + extension
        return stem[: limit - len(suffix) - 1].rstrip() + "…" + suffix
    return name[: limit - 1] + "…"
