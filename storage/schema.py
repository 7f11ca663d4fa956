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

# -- meetings, notices and deliveries (migration 0002) -----------------------------------

# A meeting as the secretariat announced it. Texts are in `ref_locale`; `translations` is
# JSON {locale: {"title", "description", "agenda"}}. `audience` is JSON {"teams": [slugs],
# "countries": [codes], "members": [ids]}, resolved into `invitations` when announced.
# `date_version` grows whenever the calendar date moves, so answers given for an older
# date can be told apart.
meetings = sa.Table(
    "meetings",
    metadata,
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
)

# One member invited to one meeting, and their answer. `needs_confirmation` is set when the
# date moved after they answered. `stands_in_for` names the member this invitee replaces;
# `substitute_id` the member who replaces this one.
invitations = sa.Table(
    "invitations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "meeting_id", sa.Integer, sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column(
        "member_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("answer", sa.String(16), nullable=True),
    sa.Column("comment", sa.Text, nullable=True),
    sa.Column("answered_at", UTCDateTime, nullable=True),
    sa.Column("needs_confirmation", sa.Boolean, nullable=False),
    sa.Column(
        "stands_in_for",
        sa.Integer,
        sa.ForeignKey("members.id", ondelete="SET NULL"),
        nullable=True,
    ),
    sa.Column(
        "substitute_id",
        sa.Integer,
        sa.ForeignKey("members.id", ondelete="SET NULL"),
        nullable=True,
    ),
    sa.Column("substitute_requested_at", UTCDateTime, nullable=True),
    sa.Column("invited_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("meeting_id", "member_id", name="uq_invitations_meeting_member"),
)

# Something sent to many people: a meeting invitation, update or cancellation, or an
# announcement. `changes` (JSON) says what an update changed; `audience` (JSON) whom an
# announcement was for. The sender's progress message is edited while it goes out.
notices = sa.Table(
    "notices",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column(
        "meeting_id", sa.Integer, sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=True
    ),
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
)

# One row per recipient of a notice: the delivery worker's queue and the record of who was
# told what and when. States: pending (due at next_attempt_at), sending (claimed by a
# worker at claimed_at), sent, failed, unreachable. A notice may take several messages
# (the text, then a calendar file or document): `parts_sent` counts those already out.
deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "notice_id", sa.Integer, sa.ForeignKey("notices.id", ondelete="CASCADE"), nullable=False
    ),
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
    sa.UniqueConstraint("notice_id", "telegram_user_id", name="uq_deliveries_notice_recipient"),
    sa.Index("ix_deliveries_due", "state", "parts_sent", "next_attempt_at"),
)

# A secretariat dialog in progress (a meeting being written or edited, an announcement),
# kept in the database so that a restart does not lose what was typed.
dialogs = sa.Table(
    "dialogs",
    metadata,
    sa.Column(
        "telegram_user_id",
        sa.BigInteger,
        sa.ForeignKey("accounts.telegram_user_id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("step", sa.String(32), nullable=False),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)
