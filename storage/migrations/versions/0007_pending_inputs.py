"""One pending input per person: what their next message answers.

The `dialogs` table (a meeting or announcement being written) and `accounts.awaiting` (a
short question: a comment, a time zone, a profile field, a request's answer, a /forget
confirmation) become rows of `pending_inputs`; a registration in progress gets its row too.
Nothing a person was asked before the upgrade is lost.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

Shipped migrations are never edited: add a new one instead.
"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

from storage.schema import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# accounts.awaiting's prefixes as the code of 0006 wrote them → (feature, subject).
_PREFIXES = (
    ("req:", "request"),
    ("rsvc:", "rsvp_comment"),
    ("profile:", "profile"),
    ("forget:", "forget"),
)


def _feature_of(awaiting: str) -> tuple[str, str | None]:
    if awaiting == "timezone":
        return "timezone", None
    for prefix, feature in _PREFIXES:
        if awaiting.startswith(prefix):
            return feature, awaiting[len(prefix) :]
    return "unknown", awaiting


def upgrade() -> None:
    pending = op.create_table(
        "pending_inputs",
        sa.Column(
            "telegram_user_id",
            sa.BigInteger,
            sa.ForeignKey("accounts.telegram_user_id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("feature", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(64), nullable=True),
        sa.Column("step", sa.String(32), nullable=True),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_pending_inputs_expires_at", "pending_inputs", ["expires_at"])
    assert pending is not None
    connection = op.get_bind()
    now = datetime.now(UTC)
    rows: dict[int, dict[str, object]] = {}
    # Where a person had several, the one that took their next message wins, as the handler
    # groups ranked them: a registration, then a short question, then a dialog.
    for user, kind, step, data in connection.execute(
        sa.text("SELECT telegram_user_id, kind, step, data FROM dialogs")
    ):
        feature = "announcement" if kind == "announce" else kind
        rows[user] = {"feature": feature, "subject": None, "step": step, "data": data}
    for user, awaiting in connection.execute(
        sa.text("SELECT telegram_user_id, awaiting FROM accounts WHERE awaiting IS NOT NULL")
    ):
        feature, subject = _feature_of(awaiting)
        rows[user] = {"feature": feature, "subject": subject, "step": None, "data": "{}"}
    for (user,) in connection.execute(sa.text("SELECT telegram_user_id FROM registrations")):
        rows[user] = {"feature": "registration", "subject": None, "step": None, "data": "{}"}
    if rows:
        connection.execute(
            sa.insert(pending),
            [
                {
                    "telegram_user_id": user,
                    **values,
                    "expires_at": now + timedelta(days=7),
                    "updated_at": now,
                }
                for user, values in rows.items()
            ],
        )
    op.drop_table("dialogs")
    op.execute("ALTER TABLE accounts DROP COLUMN awaiting")


def downgrade() -> None:
    op.execute("ALTER TABLE accounts ADD COLUMN awaiting VARCHAR(32)")
    op.create_table(
        "dialogs",
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
    op.drop_index("ix_pending_inputs_expires_at", "pending_inputs")
    op.drop_table("pending_inputs")
