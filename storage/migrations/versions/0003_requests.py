"""Requests with deadlines, action plans and their obligations, planned reminders.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

Shipped migrations are never edited: add a new one instead.
"""

import sqlalchemy as sa
from alembic import op

from storage.schema import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "requests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("ref_locale", sa.String(16), nullable=False),
        sa.Column("translations", sa.Text, nullable=False),
        sa.Column("deadline", UTCDateTime, nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("audience", sa.Text, nullable=False),
        sa.Column("answer_kind", sa.String(16), nullable=False),
        sa.Column("options", sa.Text, nullable=False),
        sa.Column("accept_late", sa.Boolean, nullable=False),
        sa.Column("reminder_offsets", sa.Text, nullable=True),
        sa.Column("skip_days_off", sa.Boolean, nullable=True),
        sa.Column("item_id", sa.Integer, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("escalated_at", UTCDateTime, nullable=True),
        sa.Column("created_by", sa.BigInteger, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "responses",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "request_id",
            sa.Integer,
            sa.ForeignKey("requests.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("party", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("choice", sa.Integer, nullable=True),
        sa.Column("text", sa.Text, nullable=True),
        sa.Column("answered_by", sa.Integer, nullable=True),
        sa.Column("answered_at", UTCDateTime, nullable=True),
        sa.Column("amendments", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("request_id", "party", name="uq_responses_request_party"),
    )
    op.create_table(
        "response_files",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "response_id",
            sa.Integer,
            sa.ForeignKey("responses.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("file_id", sa.String(300), nullable=False),
        sa.Column("file_unique_id", sa.String(100), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=True),
        sa.Column("mime_type", sa.String(120), nullable=True),
        sa.Column("file_size", sa.BigInteger, nullable=True),
        sa.Column("path", sa.Text, nullable=True),
        sa.Column("uploaded_by", sa.Integer, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "action_plans",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("slug", sa.String(64), nullable=False, unique=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("ref_locale", sa.String(16), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "plan_items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "plan_id",
            sa.Integer,
            sa.ForeignKey("action_plans.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("ref", sa.String(32), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("translations", sa.Text, nullable=False),
        sa.Column("responsible", sa.Text, nullable=False),
        sa.Column("rule_kind", sa.String(16), nullable=False),
        sa.Column("rule", sa.String(500), nullable=False),
        sa.Column("dtstart", UTCDateTime, nullable=False),
        sa.Column("answer_kind", sa.String(16), nullable=False),
        sa.Column("options", sa.Text, nullable=False),
        sa.Column("reminder_offsets", sa.Text, nullable=True),
        sa.Column("current_deadline", UTCDateTime, nullable=True),
        sa.Column("next_deadline", UTCDateTime, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("plan_id", "ref", name="uq_plan_items_plan_ref"),
    )
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("subject", sa.String(32), nullable=False),
        sa.Column("step", sa.String(48), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger, nullable=False),
        sa.Column("response_id", sa.Integer, nullable=True),
        sa.Column("due_at", UTCDateTime, nullable=False),
        sa.Column("send_at", UTCDateTime, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("handled_at", UTCDateTime, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint(
            "subject", "step", "telegram_user_id", name="uq_reminders_subject_step_recipient"
        ),
    )
    op.create_index("ix_requests_status_deadline", "requests", ["status", "deadline"])
    op.create_index("ix_requests_item_id", "requests", ["item_id"])
    op.create_index("ix_plan_items_current_deadline", "plan_items", ["current_deadline"])
    op.create_index("ix_reminders_state_send_at", "reminders", ["state", "send_at"])
    op.create_index("ix_reminders_response_id", "reminders", ["response_id"])
    # Plain columns (no foreign key), so SQLite can add them without rebuilding the table.
    op.add_column("notices", sa.Column("request_id", sa.Integer, nullable=True))
    op.add_column("notices", sa.Column("topic", sa.String(96), nullable=True))
    op.create_index("uq_notices_topic", "notices", ["topic"], unique=True)
    op.add_column("meetings", sa.Column("reminder_offsets", sa.Text, nullable=True))


def downgrade() -> None:
    op.drop_column("meetings", "reminder_offsets")
    op.drop_index("uq_notices_topic", "notices")
    op.drop_column("notices", "topic")
    op.drop_column("notices", "request_id")
    for table in (
        "reminders",
        "plan_items",
        "action_plans",
        "response_files",
        "responses",
        "requests",
    ):
        op.drop_table(table)
