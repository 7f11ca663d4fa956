"""Every mistake given to `convene` is said in one line that names what to fix, with exit
code 1, no traceback, and the database as it was. Run in process, as the operator would."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.cli import main
from storage.db import Database
from storage.schema import metadata
from tests.auxil.data import insert_member


@dataclass(frozen=True)
class Case:
    name: str
    argv: tuple[str, ...]
    said: str  # the field, option or setting the line must name
    files: dict[str, str | bytes] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    sqlite_only: bool = False  # e.g. `db backup`, which on PostgreSQL explains pg_dump


MEETING = (
    "title: Technical meeting\n"
    "start: '2030-09-15 09:30'\n"
    "end: '2030-09-15 17:00'\n"
    "timezone: Europe/Skopje\n"
    "city: Ohrid\n"
    "invite:\n"
    "  teams: [criminal]\n"
)
REQUEST = "title: Nominate your representative\ndeadline: '2030-09-10'\nto: countries=RS,MK\n"
PLAN = (
    "slug: see-2030\ntitle: Action plan 2030\nitems:\n"
    "  - ref: '1.1'\n    title: Semester report\n    responsible: [RS]\n    every: semester\n"
)


def meeting(replace: str, by: str | None) -> str:
    """The good meeting file with one line replaced (or removed, with None)."""
    lines = [line for line in MEETING.splitlines() if not line.startswith(replace)]
    return "\n".join(lines + ([by] if by is not None else [])) + "\n"


def meeting_case(name: str, line: str | None, said: str, replace: str = "~") -> Case:
    key = replace if replace != "~" else (line or "").split(":", 1)[0]
    files = {"m.yaml": meeting(key, line)}
    return Case(name, ("meeting", "create", "--file", "m.yaml"), said, files)


def request_case(name: str, extra: str, said: str, suffix: str = ".yaml") -> Case:
    body = REQUEST + extra if suffix == ".yaml" else extra
    return Case(name, ("request", "create", "--file", f"r{suffix}"), said, {f"r{suffix}": body})


def plan_case(name: str, text: str | bytes, said: str, file: str = "p.yaml") -> Case:
    argv = ("plan", "import", file) + (("--slug", "csv-plan") if file.endswith(".csv") else ())
    return Case(name, argv, said, {file: text})


# fmt: off
CASES = [
    # Options and arguments
    Case("negative telegram id", ("admin", "add", "-5"), "telegram_id"),
    Case("telegram id not a number", ("admin", "add", "abc"), "telegram_id"),
    Case("telegram id too large", ("admin", "add", "99999999999999999999"), "telegram_id"),
    Case("focal point of no country", ("focal", "add", "515151", "--country", "ZZ"), "--country"),
    Case("superscript number", ("invite", "revoke", "²"), "invite_id"),
    Case("number above the database's", ("export", "meeting", "99999999999"), "number"),
    Case("proof of no number", ("export", "proof", "abc"), "number"),
    Case("an unknown command", ("frobnicate",), "frobnicate"),
    Case("an action missing", ("admin",), "action"),
    Case("an audit period of no date", ("export", "audit", "--from", "2026-13-01"), "--from"),
    Case("an export to no folder", ("export", "meeting", "1", "--output", "no/such/m.csv"),
         "--output"),
    Case("an unknown team", ("invite", "create", "--team", "nope"), "nope"),
    Case("members of no country", ("members", "list", "--country", "ZZ"), "ZZ"),
    Case("a party of no kind", ("request", "mark", "1", "member:²", "pending"), "PARTY"),
    Case("a party of a request that is not", ("request", "mark", "7", "RS", "pending"), "#7"),
    Case("withdrawing a request that is not", ("request", "cancel", "7"), "#7"),
    Case("a backup to no folder", ("db", "backup", "--output", "no/such/copy.db"), "--output",
         sqlite_only=True),
    Case("a meeting start that does not exist",
         ("meeting", "create", "--title", "T", "--start", "2027-02-30 09:00",
          "--end", "2027-02-30 17:00", "--team", "criminal"), "--start"),
    Case("a meeting in no time zone",
         ("meeting", "create", "--title", "T", "--start", "2030-02-03 09:00",
          "--end", "2030-02-03 17:00", "--timezone", "Mars/Olympus"), "--timezone"),
    Case("a request without a deadline",
         ("request", "create", "--title", "X", "--to", "countries=RS"), "--deadline"),
    Case("a request in no time zone",
         ("request", "create", "--title", "X", "--deadline", "2030-09-10",
          "--to", "countries=RS", "--timezone", "Mars/Olympus"), "--timezone"),
    Case("a request to nobody understood",
         ("request", "create", "--title", "X", "--deadline", "2030-09-10", "--to", "planets=X"),
         "--to"),
    # Meeting files
    Case("no such file", ("meeting", "create", "--file", "missing.yaml"), "missing.yaml"),
    meeting_case("an unknown time zone", "timezone: Mars/Olympus", "'timezone'"),
    meeting_case("an impossible date", "start: 2027-02-30 09:30", "'start'"),
    meeting_case("an impossible unquoted date", "end: 2027-02-30", "'end'"),
    meeting_case("a missing end", None, "'end'", replace="end"),
    meeting_case("a title that is a list", "title: [a, b]", "'title'"),
    meeting_case("a mode that is none", "mode: boat", "'mode'"),
    meeting_case("a yes-or-no that is neither", "tentative: maybe", "'tentative'"),
    meeting_case("a country that is a list", "host_country: [RS]", "'host_country'"),
    meeting_case("reminders at the moment itself", "remind: 0d", "'remind'"),
    meeting_case("translations that are text", "translations: {mk: Состанок}", "'translations'"),
    Case("invite given as a list", ("meeting", "create", "--file", "m.yaml"), "'invite'",
         {"m.yaml": MEETING.split("invite:")[0] + "invite: [criminal]\n"}),
    Case("members that are not numbers", ("meeting", "create", "--file", "m.yaml"), "'members'",
         {"m.yaml": MEETING + "  members: [abc]\n"}),
    Case("teams given as a mapping", ("meeting", "create", "--file", "m.yaml"), "'teams'",
         {"m.yaml": MEETING.replace("teams: [criminal]", "teams: {criminal: 1}")}),
    Case("a file that is not UTF-8", ("meeting", "create", "--file", "m.yaml"), "UTF-8",
         {"m.yaml": MEETING.replace("Technical", "Réunion").encode("latin-1")}),
    Case("YAML that does not parse", ("meeting", "create", "--file", "m.yaml"), "YAML",
         {"m.yaml": "title: [unclosed\nstart: x\n"}),
    Case("TOML that does not parse", ("meeting", "create", "--file", "m.toml"), "TOML",
         {"m.toml": 'title = "x\nstart = 2027-02-30\n'}),
    Case("TOML with an impossible date", ("meeting", "create", "--file", "m.toml"), "TOML",
         {"m.toml": 'title = "x"\nstart = 2027-02-30T09:30:00\n'}),
    Case("a file that is a list", ("meeting", "create", "--file", "m.yaml"), "mapping",
         {"m.yaml": "- title: x\n"}),
    Case("a folder for a file", ("meeting", "create", "--file", "."), "folder"),
    # Request files
    request_case("an answer of no kind", "answer: essay\n", "'answer'"),
    Case("an impossible deadline", ("request", "create", "--file", "r.yaml"), "'deadline'",
         {"r.yaml": REQUEST.replace("'2030-09-10'", "2027-02-30")}),
    request_case("options given as text", "answer: choice\noptions: Yes or no\n", "'options'"),
    request_case("translations that are a list", "translations: [mk]\n", "'translations'"),
    request_case("late answers maybe", "accept_late: perhaps\n", "'accept_late'"),
    request_case("a zone that is not one", "timezone: Europe/Atlantis\n", "'timezone'"),
    request_case("TOML that does not parse", "title = \n", "TOML", ".toml"),
    # Plan files
    plan_case("an item that is text", "slug: p\nitems: [abc]\n", "item 1"),
    plan_case("a plan title that is a list", PLAN.replace("title: Action plan 2030",
              "title: [a, b]"), "title"),
    plan_case("a rule that never gives a date",
              PLAN.replace("every: semester", "every: FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"),
              "RRULE"),
    plan_case("an impossible deadline", PLAN.replace("every: semester", "deadline: 2027-02-30"),
              "item 1.1"),
    plan_case("a plan that is not UTF-8", PLAN.replace("Semester", "Résumé").encode("cp1252"),
              "UTF-8"),
    plan_case("a CSV that is not UTF-8",
              "ref,title,responsible,deadline\nA,Ratifikácia,RS,2031-03-01\n".encode("cp1250"),
              "UTF-8", "p.csv"),
    Case("no such plan file", ("plan", "import", "missing.yaml"), "missing.yaml"),
    # Announcement files
    Case("an acknowledgment maybe", ("announce", "--all", "--file", "a.yaml"), "'ack'",
         {"a.yaml": "text: The minutes are attached.\nack: maybe\n"}),
    Case("translations of an announcement as a list", ("announce", "--all", "--file", "a.yaml"),
         "'translations'", {"a.yaml": "text: Minutes.\ntranslations: [mk]\n"}),
    # Settings and the database
    Case("retention that empties every answer", ("team", "list"), "CONVENE_RETAIN_ANSWERS",
         env={"CONVENE_RETAIN_ANSWERS": "0d"}),
    Case("a files folder that cannot be written", ("team", "list"), "CONVENE_FILES_DIR",
         env={"CONVENE_FILES_DIR": "m.yaml/files"}, files={"m.yaml": MEETING}),
    Case("a SQLite file in no folder", ("team", "list"), "CONVENE_DATABASE_URL",
         env={"CONVENE_DATABASE_URL": "sqlite+aiosqlite:///no/such/folder/convene.db"}),
    Case("a PostgreSQL server that does not answer", ("admin", "add", "42"),
         "CONVENE_DATABASE_URL",
         env={"CONVENE_DATABASE_URL": "postgresql+asyncpg://convene@127.0.0.1:9/convene"}),
]
# fmt: on


@pytest.fixture
async def workdir(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> Path:
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    monkeypatch.setenv("CONVENE_DATABASE_URL", database_url)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    assert await run("team", "create", "Criminal matters", "--slug", "criminal") == 0
    db = Database(database_url)
    try:
        async with db.transaction() as tx:
            for telegram_id, country in ((801, "RS"), (802, "MK")):
                await insert_member(
                    tx, telegram_id, f"Expert {telegram_id}", country, datetime.now(UTC),
                    team_slug="criminal",
                )  # fmt: skip
    finally:
        await db.close()
    return tmp_path


async def run(*argv: str) -> int:
    def call() -> int:
        try:
            return main(list(argv))
        except SystemExit as stop:  # argparse ends the process on a bad option
            return int(stop.code or 0)

    # main() runs its own event loop; keep it off the test's loop.
    return await asyncio.to_thread(call)


async def snapshot(database_url: str) -> dict[str, list[tuple[object, ...]]]:
    db = Database(database_url)
    try:
        async with db.transaction() as tx:
            found = {}
            for table in metadata.sorted_tables:
                rows = await tx.connection.execute(sa.select(table))
                found[table.name] = sorted(tuple(map(repr, row)) for row in rows)
            return found
    finally:
        await db.close()


async def test_every_mistake_is_one_line_naming_the_field(
    workdir: Path, database_url: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    before = await snapshot(database_url)
    failures = []
    for case in CASES:
        if case.sqlite_only and not database_url.startswith("sqlite"):
            continue
        for name, content in case.files.items():
            path = workdir / name
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        capsys.readouterr()
        with monkeypatch.context() as patch:
            for key, value in case.env.items():
                patch.setenv(key, value)
            code = await run(*case.argv)
        out, err = capsys.readouterr()
        lines = err.strip().splitlines()
        if (
            code != 1
            or len(lines) != 1
            or case.said not in lines[0]
            or not lines[0].startswith("error: ")
            or "Traceback" in err + out
        ):
            failures.append(f"{case.name}: exit {code}, stderr {err!r}")
        if await snapshot(database_url) != before:
            failures.append(f"{case.name}: the database changed")
            before = await snapshot(database_url)
    assert failures == [], "\n".join(failures)
    assert len(CASES) >= 50


async def test_the_good_files_of_the_table_are_accepted(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The table's mistakes are each one change to a file that works."""
    (workdir / "m.yaml").write_text(MEETING, encoding="utf-8")
    (workdir / "r.yaml").write_text(REQUEST, encoding="utf-8")
    (workdir / "p.yaml").write_text(PLAN, encoding="utf-8")
    assert await run("meeting", "create", "--file", "m.yaml") == 0
    assert await run("request", "create", "--file", "r.yaml") == 0
    assert await run("plan", "import", "p.yaml") == 0
    assert capsys.readouterr().err == ""


async def test_commands_print_no_migration_log_unless_verbose(
    workdir: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    import logging

    monkeypatch.setenv("CONVENE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}")
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = logging.StreamHandler(sys.stderr)
    try:
        root.handlers = [stream]  # as in a shell, where basicConfig installs one
        capsys.readouterr()
        assert await run("admin", "add", "424242") == 0
        out, err = capsys.readouterr()
        assert out == "424242 is now a secretariat admin.\n"
        assert "alembic" not in err and "Context impl" not in err and err == ""
        assert await run("--verbose", "admin", "add", "515151") == 0
        assert "Context impl" in capsys.readouterr().err  # shown when asked for
    finally:
        root.handlers = handlers
        root.setLevel(level)
        logging.getLogger("alembic").setLevel(logging.NOTSET)
