"""Everything a handler may call, built once in the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings
from bot.domain.clock import Clock
from bot.domain.dialogs import Dialogs
from bot.domain.invites import Invites
from bot.domain.meetings import Meetings
from bot.domain.notices import Notices
from bot.domain.registration import Registrations
from bot.domain.reports import Reports
from bot.domain.roster import Roster
from bot.domain.rsvp import Rsvp
from bot.i18n import I18n
from storage.db import Database


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
    dialogs: Dialogs

    @classmethod
    def build(cls, settings: Settings, db: Database, clock: Clock, i18n: I18n) -> Services:
        return cls(
            settings=settings,
            db=db,
            clock=clock,
            i18n=i18n,
            roster=Roster(db, clock),
            registrations=Registrations(db, clock, settings.timezone),
            invites=Invites(db, clock),
            meetings=Meetings(db, clock),
            notices=Notices(db, clock),
            rsvp=Rsvp(db, clock),
            reports=Reports(db, clock),
            dialogs=Dialogs(db, clock),
        )
