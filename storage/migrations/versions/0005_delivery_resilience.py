"""Deliveries that survive outages: a resend restarts the give-up age; the processes that
share Telegram's budget; invitation-token guesses per person.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04

Shipped migrations are never edited: add a new one instead.
"""

import sqlalchemy as sa
from alembic import op

from storage.schema import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("requeued_at", UTCDateTime, nullable=True))
    op.create_table(
        "bot_processes",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("heartbeat_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "token_attempts",
        sa.Column("telegram_user_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_failure_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("token_attempts")
    op.drop_table("bot_processes")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("requeued_at")
