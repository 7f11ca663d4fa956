"""Everything a handler may call, built once in the composition root; and, for the command
line (which reaches storage only through here), the database of the settings and what it
needs to know of the migrations."""

from __future__ import annotations

from dataclasses import dataclass, field

from alembic.script import ScriptDirectory

from bot.config import Settings
from bot.domain.alerts import AlertThrottle
from bot.domain.audit import AuditLog
from bot.domain.clock import Clock
from bot.domain.exports import Exports
from bot.domain.invites import Invites
from bot.domain.meetings import Meetings
from bot.domain.notices import Notices
from bot.domain.pending import PendingInputs
from bot.domain.plans import Plans
from bot.domain.privacy import Privacy
from bot.domain.registration import Registrations
from bot.domain.reminders import Planner, ReminderConfig, Reminders
from bot.domain.reports import Reports
from bot.domain.requests import Requests
from bot.domain.roster import Roster
from bot.domain.rsvp import Rsvp
from bot.i18n import I18n
from storage.db import Database, alembic_config, known_revision
from storage.db import SchemaTooNewError as SchemaTooNewError


@dataclass(frozen=True)
class Services:
    settings: Settings
    db: Database
    clock: Clock
    i18n: I18n
    roster: Roster
    registrations: Registrations
    invites: Invites
    meetings: Meetings
    notices: Notices
    rsvp: Rsvp
    reports: Reports
    pending: PendingInputs
    requests: Requests
    plans: Plans
    reminders: Reminders
    audit: AuditLog
    privacy: Privacy
    alerts: AlertThrottle = field(default_factory=AlertThrottle)

    @property
    def exports(self) -> Exports:
        return Exports(self.clock, self.reports, self.requests, self.plans, self.audit)

    @classmethod
    def build(cls, settings: Settings, db: Database, clock: Clock, i18n: I18n) -> Services:
        planner = planner_for(settings)
        plans = Plans(db, clock, planner)
        return cls(
            settings=settings,
            db=db,
            clock=clock,
            i18n=i18n,
            roster=Roster(db, clock),
            registrations=Registrations(db, clock, settings.timezone),
            invites=Invites(db, clock),
            meetings=Meetings(db, clock, planner),
            notices=Notices(db, clock),
            rsvp=Rsvp(db, clock, planner),
            reports=Reports(db, clock),
            pending=PendingInputs(db, clock),
            requests=Requests(db, clock, planner),
            plans=plans,
            reminders=Reminders(db, clock, planner, plans),
            audit=AuditLog(db, clock),
            privacy=Privacy(db, clock, settings.retain_revoked, settings.retain_answers),
        )


def planner_for(settings: Settings) -> Planner:
    return Planner(
        ReminderConfig(
            deadline_offsets=settings.reminder_offsets,
            meeting_offsets=settings.meeting_reminder_offsets,
            quiet=settings.quiet_hours,
            skip_days_off=settings.skip_days_off,
            grace=settings.reminder_grace,
            past_due_after=settings.past_due_after,
            default_timezone=settings.timezone,
        )
    )


def open_database(settings: Settings) -> Database:
    """The database of `settings`; it connects at its first use."""
    return Database(settings.database_url)


def latest_migration() -> str | None:
    """The newest migration this Convene knows: where `convene db upgrade` takes a database."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def knows_migration(revision: str) -> bool:
    """Whether `revision` is one of this Convene's migrations (if not, a newer one wrote it)."""
    return known_revision(ScriptDirectory.from_config(alembic_config()), revision)
