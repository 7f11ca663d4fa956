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
    # Numbers are never reused (SQLite: AUTOINCREMENT; migration 0006).
    sqlite_autoincrement=True,
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
    # Numbers are never reused (SQLite: AUTOINCREMENT; migration 0006).
    sqlite_autoincrement=True,
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
    # Numbers are never reused (SQLite: AUTOINCREMENT; migration 0006).
    sqlite_autoincrement=True,
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
    # Added in 0003: a JSON list of seconds before the start; NULL for the global cadence.
    sa.Column("reminder_offsets", sa.Text, nullable=True),
    # Numbers are never reused (SQLite: AUTOINCREMENT; migration 0006).
    sqlite_autoincrement=True,
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
    # Numbers are never reused (SQLite: AUTOINCREMENT; migration 0006).
    sqlite_autoincrement=True,
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
    # Added in 0003: the request a request card or reminder is about, and for reminders
    # the (subject, step) they belong to, so that all recipients of one step share a notice.
    sa.Column("request_id", sa.Integer, nullable=True),
    sa.Column("topic", sa.String(96), nullable=True),
    sa.Index("uq_notices_topic", "topic", unique=True),
    # Numbers are never reused (SQLite: AUTOINCREMENT; migration 0006).
    sqlite_autoincrement=True,
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
    # Added in 0005: when `/resend` queued the row again; the give-up age counts from here.
    sa.Column("requeued_at", UTCDateTime, nullable=True),
    sa.UniqueConstraint("notice_id", "telegram_user_id", name="uq_deliveries_notice_recipient"),
    sa.Index("ix_deliveries_due", "state", "parts_sent", "next_attempt_at"),
    # Numbers are never reused (SQLite: AUTOINCREMENT; migration 0006).
    sqlite_autoincrement=True,
)

# What a person's next message answers (bot/domain/pending.py): one row per person, kept in
# the database so that a restart loses nothing typed. It replaced the `dialogs` table and
# `accounts.awaiting` (migration 0007).
pending_inputs = sa.Table(
    "pending_inputs",
    metadata,
    sa.Column(
        "telegram_user_id",
        sa.BigInteger,
        sa.ForeignKey("accounts.telegram_user_id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    sa.Column("feature", sa.String(32), nullable=False),
    # What the input is about: a request's or invitation's number, a profile field.
    sa.Column("subject", sa.String(64), nullable=True),
    sa.Column("step", sa.String(32), nullable=True),
    # What a dialog collected so far (JSON).
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index("ix_pending_inputs_expires_at", "expires_at"),
)

# -- requests, action plans and reminders (migration 0003) -------------------------------

# Something the secretariat asks for, with a deadline: an answer to an invitation, a
# document, a nomination. An occurrence of an action-plan item is a request too
# (`item_id`), so answering, reminding and escalating work the same way for both.
# `escalated_at` is set, once, by the sweep that escalates what is still owed at the
# deadline; moving the deadline later clears it. `translations` is JSON
# {locale: {"title", "body", "options"}}; `options` a JSON list for choice answers;
# `reminder_offsets` a JSON list of seconds before the deadline (NULL: the global cadence).
requests = sa.Table(
    "requests",
    metadata,
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
    sa.Index("ix_requests_status_deadline", "status", "deadline"),
    sa.Index("ix_requests_item_id", "item_id"),
    # Numbers are never reused (SQLite: AUTOINCREMENT; migration 0006).
    sqlite_autoincrement=True,
)

# One answer owed to a request: by a member ("member:12"), a country's delegation
# ("country:RS", any active member of it may answer) or a team ("team:3", any member).
# Status: pending, submitted, late (given after the deadline), not_applicable.
responses = sa.Table(
    "responses",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "request_id", sa.Integer, sa.ForeignKey("requests.id", ondelete="CASCADE"), nullable=False
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
    # Numbers are never reused (SQLite: AUTOINCREMENT; migration 0006).
    sqlite_autoincrement=True,
)

# Documents given as an answer: Telegram's file id and metadata, and where the bot saved
# its copy (NULL until downloaded).
response_files = sa.Table(
    "response_files",
    metadata,
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
    # Numbers are never reused (SQLite: AUTOINCREMENT; migration 0006).
    sqlite_autoincrement=True,
)

action_plans = sa.Table(
    "action_plans",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("slug", sa.String(64), nullable=False, unique=True),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("ref_locale", sa.String(16), nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    # Numbers are never reused (SQLite: AUTOINCREMENT; migration 0006).
    sqlite_autoincrement=True,
)

# An item of an action plan. `rule_kind` is date, rrule or permanent; `rule` the RRULE
# (for date: empty). `next_deadline` is the deadline of the next occurrence not yet
# created as a request; `current_deadline` that of the latest one created: when it has
# passed, the sweep creates the next (so each item always shows its next occurrence).
plan_items = sa.Table(
    "plan_items",
    metadata,
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
    sa.Index("ix_plan_items_current_deadline", "current_deadline"),
    # Numbers are never reused (SQLite: AUTOINCREMENT; migration 0006).
    sqlite_autoincrement=True,
)

# Every planned reminder, escalation and digest: one row per subject ("req:12",
# "mtg:5"), step and recipient, unique, so each is sent at most once however many
# processes sweep. A step names the deadline it is for ("before:<deadline>:<seconds>",
# "escalate:<deadline>", "start:<start>:<seconds>", as Unix times), so moving a deadline
# plans new reminders instead of colliding with those already sent for the old one. `due_at` is when it
# should go, `send_at` the same moved out of the recipient's quiet hours and days off.
# States: planned, queued (handed to the delivery worker), skipped (missed by more than the
# grace period), cancelled (no longer owed). `party` is the response it chases, if any.
reminders = sa.Table(
    "reminders",
    metadata,
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
    sa.Index("ix_reminders_state_send_at", "state", "send_at"),
    sa.Index("ix_reminders_response_id", "response_id"),
    # One member's reminders of a subject, re-planned on each press (migration 0008).
    sa.Index("ix_reminders_subject_user", "subject", "telegram_user_id"),
    # Numbers are never reused (SQLite: AUTOINCREMENT; migration 0006).
    sqlite_autoincrement=True,
)

# -- the official record (migration 0004) -------------------------------------------------

# Who is who in the audit log: a random reference per Telegram account. Entries name people
# only by reference, so that forgetting a person (/forget, retention) clears this row's
# Telegram id and leaves the log untouched, consistent, and without personal data.
audit_people = sa.Table(
    "audit_people",
    metadata,
    sa.Column("ref", sa.String(16), primary_key=True),
    sa.Column("telegram_user_id", sa.BigInteger, nullable=True, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("forgotten_at", UTCDateTime, nullable=True),
)

# Append-only: database triggers refuse UPDATE and DELETE (see migration 0004), and the
# repository has no method for either. `details` is JSON of ids and codes, never names,
# message bodies or answers. `actor_ref` NULL means the system or the command line.
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("actor_ref", sa.String(16), nullable=True),
    sa.Column("action", sa.String(48), nullable=False),
    sa.Column("object_type", sa.String(24), nullable=False),
    sa.Column("object_id", sa.String(48), nullable=True),
    sa.Column("subject_ref", sa.String(16), nullable=True),
    sa.Column("details", sa.Text, nullable=False),
    sa.Index("ix_audit_log_at", "at"),
    sa.Index("ix_audit_log_object", "object_type", "object_id"),
    sa.Index("ix_audit_log_subject_ref", "subject_ref"),
)

# The bot processes serving one database (0005), each beating every few seconds: Telegram's
# 30 messages a second are shared out among those alive (bot/budget.py).
bot_processes = sa.Table(
    "bot_processes",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("heartbeat_at", UTCDateTime, nullable=False),
)

# Wrong invitation tokens tried by one person (0005): each further try waits longer.
token_attempts = sa.Table(
    "token_attempts",
    metadata,
    sa.Column("telegram_user_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("last_failure_at", UTCDateTime, nullable=False),
)
