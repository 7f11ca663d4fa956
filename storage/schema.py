"""The tables, as SQLAlchemy Core metadata.

This describes the schema the code expects; the migrations in
storage/migrations/versions create it. A test checks the two agree.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike.

    SQLite keeps no offset, so values are stored as naive UTC there and given back
    their tzinfo on the way out; PostgreSQL stores timestamptz.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use aware UTC datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# A Telegram identity that has talked to the bot in a way worth remembering: it started a
# registration, chose a language, or is an admin. Preferences live here so that they work
# before (and without) a member record.
accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("telegram_user_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("chat_id", sa.BigInteger, nullable=True),
    sa.Column("locale", sa.String(16), nullable=True),
    sa.Column("timezone", sa.String(64), nullable=True),
    # What the person's next typed message answers (e.g. "profile:institution"), kept
    # here rather than in memory so that it survives a restart.
    sa.Column("awaiting", sa.String(32), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

members = sa.Table(
    "members",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "telegram_user_id",
        sa.BigInteger,
        sa.ForeignKey("accounts.telegram_user_id"),
        nullable=False,
        unique=True,
    ),
    sa.Column("full_name", sa.String(200), nullable=False),
    sa.Column("country", sa.String(2), nullable=False),
    sa.Column("institution", sa.String(300), nullable=False),
    sa.Column("position", sa.String(300), nullable=False),
    sa.Column("email", sa.String(254), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("consent_version", sa.String(16), nullable=False),
    sa.Column("consent_at", UTCDateTime, nullable=False),
    sa.Column("invite_id", sa.Integer, sa.ForeignKey("invites.id"), nullable=True),
    sa.Column("decided_by", sa.BigInteger, nullable=True),
    sa.Column("decided_at", UTCDateTime, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index("ix_members_country_status", "country", "status"),
)

# Bot-wide roles. `country` is "" for roles that are not per country (admin), so that the
# unique constraint also holds on PostgreSQL, where NULLs never collide.
roles = sa.Table(
    "roles",
    metadata,
    sa.Column("telegram_user_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("role", sa.String(16), primary_key=True),
    sa.Column("country", sa.String(2), primary_key=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

teams = sa.Table(
    "teams",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("slug", sa.String(64), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

team_members = sa.Table(
    "team_members",
    metadata,
    sa.Column(
        "team_id", sa.Integer, sa.ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "member_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

# Only a SHA-256 of each token is kept: the link is shown once, at creation, and a leaked
# database does not hand out working invitations.
invites = sa.Table(
    "invites",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("country", sa.String(2), nullable=True),
    sa.Column("max_uses", sa.Integer, nullable=False),
    sa.Column("uses", sa.Integer, nullable=False, server_default="0"),
    sa.Column("approval", sa.String(8), nullable=False),
    sa.Column("team_role", sa.String(16), nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
    sa.Column("created_by", sa.BigInteger, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

invite_teams = sa.Table(
    "invite_teams",
    metadata,
    sa.Column(
        "invite_id", sa.Integer, sa.ForeignKey("invites.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "team_id", sa.Integer, sa.ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    ),
)

# A registration in progress. Kept in the database, not in memory, so that a person who
# is halfway through when the bot restarts carries on where they were.
registrations = sa.Table(
    "registrations",
    metadata,
    sa.Column(
        "telegram_user_id",
        sa.BigInteger,
        sa.ForeignKey("accounts.telegram_user_id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    sa.Column("invite_id", sa.Integer, sa.ForeignKey("invites.id"), nullable=False),
    sa.Column("step", sa.String(32), nullable=False),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

# The Approve/Reject messages sent for a pending member, so that once one approver decides,
# everybody else's buttons can be replaced by the outcome.
approval_messages = sa.Table(
    "approval_messages",
    metadata,
    sa.Column(
        "member_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("chat_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("message_id", sa.BigInteger, nullable=False),
)

# Update ids already handled: Telegram may deliver an update again (a retried webhook, a
# restart before the offset was confirmed); the second copy is dropped.
processed_updates = sa.Table(
    "processed_updates",
    metadata,
    sa.Column("update_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("processed_at", UTCDateTime, nullable=False),
)

bot_meta = sa.Table(
    "bot_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)
