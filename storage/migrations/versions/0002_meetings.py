"""Meetings, invitations (RSVPs), notices, deliveries, secretariat dialogs.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

Shipped migrations are never edited: add a new one instead.
"""

import sqlalchemy as sa
from alembic import op

from storage.schema import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("agenda", sa.Text, nullable=False),
        sa.Column("ref_locale", sa.String(16), nullable=False),
        sa.Column("translations", sa.Text, nullable=False),
        sa.Column("starts_at", UTCDateTime, nullable=False),
        sa.Column("ends_at", UTCDateTime, nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("venue", sa.String(300), nullable=True),
        sa.Column("city", sa.String(120), nullable=True),
        sa.Column("host_country", sa.String(2), nullable=True),
        sa.Column("online_url", sa.String(500), nullable=True),
        sa.Column("audience", sa.Text, nullable=False),
        sa.Column("rsvp_deadline", UTCDateTime, nullable=False),
        sa.Column("tentative", sa.Boolean, nullable=False),
        sa.Column("ask_comment", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("date_version", sa.Integer, nullable=False),
        sa.Column("created_by", sa.BigInteger, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_meetings"),
    )
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("meeting_id", sa.Integer, nullable=False),
        sa.Column("member_id", sa.Integer, nullable=False),
        sa.Column("answer", sa.String(16), nullable=True),
        sa.Column("comment", sa.Text, nullable=True),
        sa.Column("answered_at", UTCDateTime, nullable=True),
        sa.Column("needs_confirmation", sa.Boolean, nullable=False),
        sa.Column("stands_in_for", sa.Integer, nullable=True),
        sa.Column("substitute_id", sa.Integer, nullable=True),
        sa.Column("substitute_requested_at", UTCDateTime, nullable=True),
        sa.Column("invited_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_invitations"),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name="fk_invitations_meeting_id_meetings",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name="fk_invitations_member_id_members",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["stands_in_for"],
            ["members.id"],
            name="fk_invitations_stands_in_for_members",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["substitute_id"],
            ["members.id"],
            name="fk_invitations_substitute_id_members",
            ondelete="SET NULL",
        ),
        sa.UniqueConstraint("meeting_id", "member_id", name="uq_invitations_meeting_member"),
    )
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("meeting_id", sa.Integer, nullable=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("ref_locale", sa.String(16), nullable=False),
        sa.Column("translations", sa.Text, nullable=False),
        sa.Column("changes", sa.Text, nullable=False),
        sa.Column("audience", sa.Text, nullable=False),
        sa.Column("document_file_id", sa.String(300), nullable=True),
        sa.Column("document_name", sa.String(255), nullable=True),
        sa.Column("document_path", sa.Text, nullable=True),
        sa.Column("ack_required", sa.Boolean, nullable=False),
        sa.Column("restricted", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("created_by", sa.BigInteger, nullable=True),
        sa.Column("progress_chat_id", sa.BigInteger, nullable=True),
        sa.Column("progress_message_id", sa.BigInteger, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("finished_at", UTCDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_notices"),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name="fk_notices_meeting_id_meetings",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("notice_id", sa.Integer, nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger, nullable=False),
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("parts_sent", sa.Integer, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UTCDateTime, nullable=False),
        sa.Column("claimed_at", UTCDateTime, nullable=True),
        sa.Column("message_id", sa.BigInteger, nullable=True),
        sa.Column("sent_at", UTCDateTime, nullable=True),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.Column("acknowledged_at", UTCDateTime, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_deliveries"),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["notices.id"],
            name="fk_deliveries_notice_id_notices",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("notice_id", "telegram_user_id", name="uq_deliveries_notice_recipient"),
    )
    op.create_index("ix_deliveries_due", "deliveries", ["state", "parts_sent", "next_attempt_at"])
    op.create_table(
        "dialogs",
        sa.Column("telegram_user_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("step", sa.String(32), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("telegram_user_id", name="pk_dialogs"),
        sa.ForeignKeyConstraint(
            ["telegram_user_id"],
            ["accounts.telegram_user_id"],
            name="fk_dialogs_telegram_user_id_accounts",
            ondelete="CASCADE",
        ),
    )


def downgrade() -> None:
    for table in ("dialogs", "deliveries", "notices", "invitations", "meetings"):
        op.drop_table(table)
