"""The audit log (append-only, enforced by triggers) and its pseudonymous references.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

Shipped migrations are never edited: add a new one instead.
"""

import sqlalchemy as sa
from alembic import op

from storage.schema import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

REFUSAL = "the audit log is append-only"


def upgrade() -> None:
    op.create_table(
        "audit_people",
        sa.Column("ref", sa.String(16), primary_key=True),
        sa.Column("telegram_user_id", sa.BigInteger, nullable=True, unique=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("forgotten_at", UTCDateTime, nullable=True),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("actor_ref", sa.String(16), nullable=True),
        sa.Column("action", sa.String(48), nullable=False),
        sa.Column("object_type", sa.String(24), nullable=False),
        sa.Column("object_id", sa.String(48), nullable=True),
        sa.Column("subject_ref", sa.String(16), nullable=True),
        sa.Column("details", sa.Text, nullable=False),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_object", "audit_log", ["object_type", "object_id"])
    op.create_index("ix_audit_log_subject_ref", "audit_log", ["subject_ref"])
    if op.get_bind().dialect.name == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
                f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{REFUSAL}'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE OR TRUNCATE "
            "ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP TRIGGER audit_log_no_change ON audit_log")
        op.execute("DROP FUNCTION audit_log_append_only()")
    op.drop_table("audit_log")
    op.drop_table("audit_people")
