"""The domain: the rules of every feature, for the chat and the command line alike.

Nothing in this package imports `telegram`; it takes repositories and a clock,
so tests run it against a real database with a fake clock.

Records are plain frozen dataclasses filled by storage: models.py (members, teams,
invitations, meetings, notices, deliveries, reminders, the audit log) and request_models.py
(requests, answers owed by a Party, action plans). A value with structure is a small type
that reads and writes its stored text (Party, ReminderSubject, ReminderStep), never a
string split on ":".

How an operation says no. One pattern, everywhere a request can be refused:
- the feature's module has a `<Feature>Problem` StrEnum naming each reason, and a
  `<Feature>Error(ValueError)` raised with one of them and, optionally, the offending
  value: `raise RequestError(RequestProblem.PARTY, text)`; the error carries `problem` and
  `value`, and its message is "<problem>: <value>";
- the caller renders it: a handler picks the translated sentence for `error.problem`
  (handlers/requests.py, handlers/invites.py), the command line its operator's message
  (bot/cli/); the domain never words a refusal for a person.
The errors: MeetingError (meetings.Problem), NoticeError, RequestError, RosterError,
InviteSpecError.

Two deliberate variations of it:
- where a refusal is an ordinary answer to a button press or a typed message, the
  operation returns an outcome instead of raising: rsvp.Outcome, registration's
  StartOutcome, StepOutcome (carrying a registration_steps.Problem) and SubmitOutcome,
  roster.Decision, privacy.ForgetOutcome; the handler renders each kind;
- PlanError (plan_specs.py) is raised while reading a plan file and carries a sentence
  naming the item and the field, since what is wrong in a file is not a short list.
"""
