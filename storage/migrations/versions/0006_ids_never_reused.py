"""On SQLite, ids are never reused: the tables whose rows carry a number (a member, a
meeting, a notice …) become AUTOINCREMENT, so that a number freed by a rejection or an
erasure is not given to the next row, which would then share the audit log's entries.

PostgreSQL's sequences never reuse a number: nothing to do there.

SQLite cannot add AUTOINCREMENT to a table: each is rebuilt (copied into a new table,
dropped, renamed back). The environment turns foreign keys off for the migrations, so
that dropping a parent table does not cascade into its children; the rebuilt tables'
foreign keys are checked before this migration commits.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04

Shipped migrations are never edited: add a new one instead.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Every table with an integer id of its own. The audit log is append-only: nothing is
# ever deleted from it, so its numbers cannot be reused.
TABLES = (
    "members",
    "teams",
    "invites",
    "meetings",
    "invitations",
    "notices",
    "deliveries",
    "requests",
    "responses",
    "response_files",
    "action_plans",
    "plan_items",
    "reminders",
)

# A number freed before this migration is unknown to SQLite; the audit log knows the
# numbers it names. The next number of these tables follows the highest of either.
AUDITED = {
    "members": "member",
    "teams": "team",
    "invites": "invite",
    "meetings": "meeting",
    "notices": "notice",
    "requests": "request",
    "action_plans": "plan",
}


def _rebuild(autoincrement: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar() != 0:
        raise RuntimeError("foreign keys must be off to rebuild tables (see migrations/env.py)")
    for table in TABLES:
        # The next number continues from the highest ever used (kept in sqlite_sequence).
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
        ):
            pass
    if autoincrement:
        for table, object_type in AUDITED.items():
            _continue_after_audited(bind, table, object_type)
    problems = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if problems:
        raise RuntimeError(f"foreign keys broken by the rebuild: {problems[:5]}")


def _continue_after_audited(bind: sa.Connection, table: str, object_type: str) -> None:
    named = bind.execute(
        sa.text(
            "SELECT MAX(CAST(object_id AS INTEGER)) FROM audit_log "
            "WHERE object_type = :type AND object_id GLOB '[0-9]*' "
            "AND object_id NOT GLOB '*[^0-9]*'"
        ),
        {"type": object_type},
    ).scalar()
    if not named:
        return
    seq = bind.execute(
        sa.text("SELECT seq FROM sqlite_sequence WHERE name = :name"), {"name": table}
    ).first()
    if seq is None:
        bind.execute(
            sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES (:name, :seq)"),
            {"name": table, "seq": named},
        )
    elif seq[0] < named:
        bind.execute(
            sa.text("UPDATE sqlite_sequence SET seq = :seq WHERE name = :name"),
            {"name": table, "seq": named},
        )


def upgrade() -> None:
    _rebuild(True)


def downgrade() -> None:
    _rebuild(False)
