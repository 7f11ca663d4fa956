"""The layering, stated: the domain never imports telegram or the handlers (it must run
with a fake clock and no bot); storage imports neither the handlers, nor telegram, nor the
command line; the handlers and the command line reach storage only through the domain."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imports(folder: str) -> list[tuple[str, str]]:
    """(file, imported module) for every import in the folder, at any depth of the code."""
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found += [(str(path.relative_to(ROOT)), alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.append((str(path.relative_to(ROOT)), node.module))
    return found


def offenders(folder: str, forbidden: set[str]) -> list[str]:
    return [
        f"{where}: {module}"
        for where, module in imports(folder)
        if module.split(".")[0] in forbidden
        or any(module == f or module.startswith(f + ".") for f in forbidden)
    ]


def test_domain_does_not_import_telegram() -> None:
    assert offenders("bot/domain", {"telegram", "handlers"}) == []


def test_storage_imports_no_handlers_telegram_or_command_line() -> None:
    assert offenders("storage", {"telegram", "handlers", "bot.cli", "bot.app"}) == []


def test_handlers_reach_storage_only_through_the_domain() -> None:
    assert offenders("handlers", {"storage", "sqlalchemy"}) == []


def test_command_line_reaches_storage_only_through_the_domain() -> None:
    assert offenders("bot/cli", {"storage", "sqlalchemy"}) == []
