"""Roster, teams, invitations, registrations.

Revision ID: 0001
Revises:
Create Date: 2026-11-23

Shipped migrations are never edited: add a new one instead.
"""

import sqlalchemy as sa
from alembic import op

from storage.schema import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("telegram_user_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("chat_id", sa.BigInteger, nullable=True),
        sa.Column("locale", sa.String(16), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=True),
        sa.Column("awaiting", sa.String(32), nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("telegram_user_id", name="pk_accounts"),
    )
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("slug", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_teams"),
        sa.UniqueConstraint("slug", name="uq_teams_slug"),
    )
    op.create_table(
        "invites",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("max_uses", sa.Integer, nullable=False),
        sa.Column("uses", sa.Integer, nullable=False, server_default="0"),
        sa.Column("approval", sa.String(8), nullable=False),
        sa.Column("team_role", sa.String(16), nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("revoked_at", UTCDateTime, nullable=True),
        sa.Column("created_by", sa.BigInteger, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_invites"),
        sa.UniqueConstraint("token_hash", name="uq_invites_token_hash"),
    )
    op.create_table(
        "invite_teams",
        sa.Column("invite_id", sa.Integer, nullable=False),
        sa.Column("team_id", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("invite_id", "team_id", name="pk_invite_teams"),
        sa.ForeignKeyConstraint(
            ["invite_id"],
            ["invites.id"],
            name="fk_invite_teams_invite_id_invites",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name="fk_invite_teams_team_id_teams", ondelete="CASCADE"
        ),
    )
    op.create_table(
        "members",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("telegram_user_id", sa.BigInteger, nullable=False),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("institution", sa.String(300), nullable=False),
        sa.Column("position", sa.String(300), nullable=False),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("consent_version", sa.String(16), nullable=False),
        sa.Column("consent_at", UTCDateTime, nullable=False),
        sa.Column("invite_id", sa.Integer, nullable=True),
        sa.Column("decided_by", sa.BigInteger, nullable=True),
        sa.Column("decided_at", UTCDateTime, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_members"),
        sa.UniqueConstraint("telegram_user_id", name="uq_members_telegram_user_id"),
        sa.ForeignKeyConstraint(
            ["telegram_user_id"],
            ["accounts.telegram_user_id"],
            name="fk_members_telegram_user_id_accounts",
        ),
        sa.ForeignKeyConstraint(["invite_id"], ["invites.id"], name="fk_members_invite_id_invites"),
    )
    op.create_index("ix_members_country_status", "members", ["country", "status"])
    op.create_table(
        "roles",
        sa.Column("telegram_user_id", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("telegram_user_id", "role", "country", name="pk_roles"),
    )
    op.create_table(
        "team_members",
        sa.Column("team_id", sa.Integer, nullable=False),
        sa.Column("member_id", sa.Integer, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("team_id", "member_id", name="pk_team_members"),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name="fk_team_members_team_id_teams", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name="fk_team_members_member_id_members",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "registrations",
        sa.Column("telegram_user_id", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("invite_id", sa.Integer, nullable=False),
        sa.Column("step", sa.String(32), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("telegram_user_id", name="pk_registrations"),
        sa.ForeignKeyConstraint(
            ["telegram_user_id"],
            ["accounts.telegram_user_id"],
            name="fk_registrations_telegram_user_id_accounts",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invite_id"], ["invites.id"], name="fk_registrations_invite_id_invites"
        ),
    )
    op.create_table(
        "approval_messages",
        sa.Column("member_id", sa.Integer, nullable=False),
        sa.Column("chat_id", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("message_id", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("member_id", "chat_id", name="pk_approval_messages"),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name="fk_approval_messages_member_id_members",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "processed_updates",
        sa.Column("update_id", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("processed_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("update_id", name="pk_processed_updates"),
    )
    op.create_table(
        "bot_meta",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_bot_meta"),
    )


def downgrade() -> None:
    for table in (
        "bot_meta",
        "processed_updates",
        "approval_messages",
        "registrations",
        "team_members",
        "roles",
        "members",
        "invite_teams",
        "invites",
        "teams",
        "accounts",
    ):
        op.drop_table(table)
