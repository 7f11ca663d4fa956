"""The translation catalogs from the command line (the work is done by bot/i18n_tools.py).

convene i18n extract | update | compile | check

These run before the settings are read and without a database: `compile` is what makes a
fresh checkout able to start.
"""

from __future__ import annotations

from typing import Any

from bot.cli.common import Parsers


def add_i18n(sub: Any) -> None:
    i18n = sub.add_parser("i18n", help="translation catalogs").add_subparsers(
        dest="action", required=True
    )
    for action in ("extract", "update", "compile", "check"):
        i18n.add_parser(action)


def run(action: str) -> int:
    """`convene i18n ACTION`; the exit code."""
    from bot import i18n_tools

    return i18n_tools.main(action)


PARSERS: Parsers = {"i18n": add_i18n}
