"""One transaction's repositories.

`Database.transaction()` yields a `Tx`; each attribute is a repository sharing that
transaction, so a domain operation that touches several tables commits or rolls back as one.
No business rule lives in storage: only reads and writes.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from storage.accounts import AccountRepo, MetaRepo, ProcessedUpdateRepo
from storage.audit import AuditRepo
from storage.budget import ProcessRepo
from storage.delivery import DeliveryRepo
from storage.invites import InviteRepo, TokenAttemptRepo
from storage.meetings import MeetingRepo
from storage.notices import NoticeRepo
from storage.pending import PendingInputRepo
from storage.plans import PlanRepo
from storage.privacy import PrivacyRepo
from storage.proof import ProofRepo
from storage.registration import ApprovalMessageRepo, RegistrationRepo
from storage.reminders import ReminderRepo
from storage.reports import ReportRepo
from storage.requests import RequestRepo, ResponseRepo
from storage.roster import AudienceRepo, MemberRepo, RoleRepo, TeamRepo
from storage.rsvp import InvitationRepo


class Tx:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection
        self.accounts = AccountRepo(connection)
        self.members = MemberRepo(connection)
        self.roles = RoleRepo(connection)
        self.teams = TeamRepo(connection)
        self.invites = InviteRepo(connection)
        self.registrations = RegistrationRepo(connection)
        self.approvals = ApprovalMessageRepo(connection)
        self.updates = ProcessedUpdateRepo(connection)
        self.meta = MetaRepo(connection)
        self.meetings = MeetingRepo(connection)
        self.invitations = InvitationRepo(connection)
        self.notices = NoticeRepo(connection)
        self.deliveries = DeliveryRepo(connection)
        self.pending = PendingInputRepo(connection)
        self.audience = AudienceRepo(connection)
        self.requests = RequestRepo(connection)
        self.responses = ResponseRepo(connection)
        self.plans = PlanRepo(connection)
        self.reminders = ReminderRepo(connection)
        self.reports = ReportRepo(connection)
        self.audit = AuditRepo(connection)
        self.privacy = PrivacyRepo(connection)
        self.proof = ProofRepo(connection)
        self.processes = ProcessRepo(connection)
        self.token_attempts = TokenAttemptRepo(connection)
