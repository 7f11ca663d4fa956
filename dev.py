#!/usr/bin/env python3
"""Set up and run Convene with nothing but Python 3.11 on the machine.

    python3 dev.py run      set up, then start the bot (migrations run on start)
    python3 dev.py test     set up, then run the whole test suite (extra args go to pytest)
    python3 dev.py lint     ruff (lint and format check) over the tree, mypy over bot/,
                            handlers/ and storage/
    python3 dev.py i18n     check the catalogs (complete, no fuzzy, same placeholders)

Every command is safe to repeat: the virtual environment is created once and
reinstalled only when pyproject.toml changes; catalogs are recompiled each time
(they take well under a second).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".convene-install"


def _venv_python() -> Path:
    if os.name == "nt":
        return VENV / "Scripts" / "python.exe"
    return VENV / "bin" / "python"


def ensure_environment() -> Path:
    """Create .venv and install the project into it, once per pyproject.toml."""
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py runs under any python3
        sys.exit(f"Convene needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    python = _venv_python()
    if not python.exists():
        print("Creating the virtual environment in .venv …", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not STAMP.exists() or STAMP.read_text() != digest:
        print("Installing Convene and its dependencies …", flush=True)
        subprocess.check_call(
            [str(python), "-m", "pip", "install", "--quiet", "--editable", f"{ROOT}[test]"],
            cwd=ROOT,
        )
        STAMP.write_text(digest)
    return python


def run(python: Path, *args: str) -> int:
    try:
        return subprocess.call([str(python), *args], cwd=ROOT)
    except KeyboardInterrupt:
        # Ctrl-C reached the child too; it shuts down on its own. No traceback from here.
        return 130


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"run", "test", "lint", "i18n"}:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    python = ensure_environment()
    if command == "lint":
        return (
            run(python, "-m", "ruff", "check", ".", *rest)
            or run(python, "-m", "ruff", "format", "--check", ".")
            or run(python, "-m", "mypy")
        )
    if command == "i18n":
        return run(python, "-m", "bot", "i18n", "check", *rest)
    # Both the bot and the tests need compiled catalogs: the bot refuses to start without them.
    status = run(python, "-m", "bot", "i18n", "compile")
    if status:
        return status
    if command == "run":
        if os.name == "posix":
            # Become the bot process, so that signals (Ctrl-C, a service manager's SIGTERM)
            # go straight to it.
            os.chdir(ROOT)
            os.execv(str(python), [str(python), "-m", "bot", "run", *rest])
        return run(python, "-m", "bot", "run", *rest)
    return run(python, "-m", "pytest", *rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
