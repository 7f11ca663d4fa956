"""The database: engine set-up, transactions and migrations.

Modeled on mautrix-python's async_db: WAL and foreign keys always on for SQLite,
one connection handed out exclusively for SQLite (it allows one writer anyway),
explicit transactions, and a migration table that refuses a schema newer than
the code.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from storage.tx import Tx

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# SQLite connections for reports (Database.read): two reports at once, beside the writer.
READERS = 2


class SchemaTooNewError(RuntimeError):
    """The database was migrated by a newer Convene than this one."""


class Database:
    def __init__(self, url: str) -> None:
        """Open an engine for `url`.

        A PostgreSQL URL may end in `?search_path=NAME` to keep Convene's tables in their
        own schema of a shared database (the tests give each test its own this way).
        """
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {}
        parsed = make_url(url)
        if self.is_sqlite:
            # One connection, handed out exclusively: SQLite has a single writer, and a
            # second pooled connection would only wait on the lock.
            kwargs.update(pool_size=1, max_overflow=0)
        elif "search_path" in parsed.query:
            search_path = parsed.query["search_path"]
            parsed = parsed.difference_update_query(["search_path"])
            kwargs["connect_args"] = {"server_settings": {"search_path": str(search_path)}}
        # Parameters never reach a log or an error message: they hold answers, names and
        # file names (SQLAlchemy puts them in the text of every database error otherwise).
        self.engine: AsyncEngine = create_async_engine(parsed, hide_parameters=True, **kwargs)
        # Reports (a status, an export, a proof) read on connections of their own, so that a
        # long one does not hold the connection every press writes through. PostgreSQL's
        # pool already has several; SQLite gets a second engine whose connections only read
        # (WAL lets them read a snapshot beside the writer).
        self.reader: AsyncEngine = self.engine
        if self.is_sqlite:
            _configure_sqlite(self.engine)
            self.reader = create_async_engine(
                parsed, hide_parameters=True, pool_size=READERS, max_overflow=0
            )
            _configure_sqlite(self.reader, reading=True)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """One transaction; committed when the block ends, rolled back if it raises."""
        async with self.engine.begin() as connection:
            yield Tx(connection)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Tx]:
        """One read-only transaction on a reader connection (one consistent snapshot): for
        reports, which may take long and must not make the writers wait."""
        async with self.reader.connect() as connection, connection.begin():
            yield Tx(connection)

    async def ping(self) -> None:
        """Raise unless the database answers a trivial query."""
        async with self.engine.connect() as connection:
            await connection.exec_driver_sql("SELECT 1")

    async def upgrade(self) -> str | None:
        """Apply every pending migration (one transaction each); return the new revision."""
        async with self.engine.connect() as connection:
            revision = await connection.run_sync(_upgrade)
            await connection.commit()
        return revision

    async def current_revision(self) -> str | None:
        async with self.engine.connect() as connection:
            return await connection.run_sync(_current_revision)

    async def close(self) -> None:
        if self.reader is not self.engine:
            await self.reader.dispose()
        await self.engine.dispose()


def _configure_sqlite(engine: AsyncEngine, *, reading: bool = False) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin, so
        # that DDL in a migration is transactional too.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        if reading:
            cursor.execute("PRAGMA query_only=ON")  # a report that tried to write would fail
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # IMMEDIATE takes the write lock up front: a second process (the CLI while the
        # bot runs) waits on busy_timeout instead of failing on a lock upgrade. A reader
        # begins a deferred transaction: a snapshot, no lock.
        connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _upgrade(connection: Connection) -> str | None:
    config = alembic_config(connection)
    scripts = ScriptDirectory.from_config(config)
    current = _current_revision(connection)
    if current is not None and not known_revision(scripts, current):
        raise SchemaTooNewError(
            f"The database is at migration {current!r}, which this version of Convene does "
            f"not know (it knows up to {scripts.get_current_head()!r}). It was upgraded by a "
            "newer Convene: run that version, or restore a backup taken before the upgrade."
        )
    if connection.in_transaction():
        connection.commit()
    command.upgrade(config, "head")
    revision = _current_revision(connection)
    if revision != current:
        logger.info("Database migrated from %s to %s", current, revision)
    return revision


def known_revision(scripts: ScriptDirectory, revision: str) -> bool:
    try:
        return scripts.get_revision(revision) is not None
    except Exception:  # alembic raises several kinds for an unknown revision
        return False


async def is_newest(connection: AsyncConnection) -> bool:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    return await connection.run_sync(_current_revision) == head
