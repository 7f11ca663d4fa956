"""Reminders found by subject and person: a press re-plans one member's reminders of a
meeting, and without this index the database read every reminder of the meeting (or every
planned one) to find theirs, so a press cost grew with the audience.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07

Shipped migrations are never edited: add a new one instead.
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_reminders_subject_user", "reminders", ["subject", "telegram_user_id"])


def downgrade() -> None:
    op.drop_index("ix_reminders_subject_user", "reminders")
