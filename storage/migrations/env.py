"""Alembic environment: migrations run on a connection handed over by storage.db.

`convene db upgrade` and the bot's start-up both go through Database.upgrade(),
which passes its connection in `config.attributes`; there is no alembic.ini.
"""

from alembic import context

from storage.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run migrations with `convene db upgrade`, not the alembic command.")

context.configure(
    connection=connection,
    target_metadata=metadata,
    # Each migration commits on its own: a failure leaves the database at the last good one.
    transaction_per_migration=True,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
