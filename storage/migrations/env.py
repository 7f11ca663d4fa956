"""Alembic environment: migrations run on a connection handed over by storage.db.

`convene db upgrade` and the bot's start-up both go through Database.upgrade(),
which passes its connection in `config.attributes`; there is no alembic.ini.
"""

from alembic import context
from sqlalchemy.engine import Connection

from storage.schema import metadata

_given = context.config.attributes.get("connection")
if _given is None:
    raise RuntimeError("Run migrations with `convene db upgrade`, not the alembic command.")
connection: Connection = _given

sqlite = connection.dialect.name == "sqlite"


def _foreign_keys(on: bool) -> None:
    """SQLite: turn foreign key enforcement on or off. It only changes outside a
    transaction, so this runs between migrations (each commits on its own) and checks."""
    if connection.in_transaction():
        connection.commit()
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
        cursor.execute("PRAGMA foreign_keys")
        row = cursor.fetchone()
        if row is None or bool(row[0]) != on:
            raise RuntimeError("SQLite did not change its foreign key enforcement")
    finally:
        cursor.close()


context.configure(
    connection=connection,
    target_metadata=metadata,
    # Each migration commits on its own: a failure leaves the database at the last good one.
    transaction_per_migration=True,
    render_as_batch=sqlite,
)
# A migration that rebuilds a SQLite table drops it: with foreign keys on, that would
# delete the rows of every table referring to it (ON DELETE CASCADE). Off while migrating.
if sqlite:
    _foreign_keys(False)
try:
    with context.begin_transaction():
        context.run_migrations()
finally:
    if sqlite:
        _foreign_keys(True)
