"""Parties, reminder subjects and steps: read from and written as the stored text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain.models import ReminderStep, ReminderSubject, StepKind, SubjectKind
from bot.domain.request_models import Party, PartyKind


@pytest.mark.parametrize("text", ["member:12", "country:RS", "team:3"])
def test_a_stored_party_reads_back_as_it_was_stored(text: str) -> None:
    party = Party.parse(text)
    assert party is not None
    assert str(party) == text


def test_a_party_knows_its_kind_and_row_number() -> None:
    assert Party.parse("member:12") == Party(PartyKind.MEMBER, "12")
    assert Party.member(12).id == 12
    assert str(Party.team(3)) == "team:3"
    assert str(Party.country("RS")) == "country:RS"


@pytest.mark.parametrize("text", ["", "RS", "member:", "member:x", "group:3", "team:²"])
def test_what_is_not_a_stored_party_is_none(text: str) -> None:
    assert Party.parse(text) is None
    with pytest.raises(ValueError):
        Party.stored(text)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("RS", "country:RS"),
        (" rs ", "country:RS"),
        ("country:rs", "country:RS"),
        ("member:12", "member:12"),
        ("team:#3", "team:3"),
    ],
)
def test_a_typed_party_is_read_into_its_stored_form(typed: str, stored: str) -> None:
    party = Party.read(typed)
    assert party is not None
    assert str(party) == stored


@pytest.mark.parametrize("typed", ["ZZ", "country:", "member:0", "member:x", "group:3"])
def test_what_is_not_a_party_is_not_read(typed: str) -> None:
    assert Party.read(typed) is None


def test_reminder_subjects_read_back_as_stored() -> None:
    assert str(ReminderSubject.request(12)) == "req:12"
    assert str(ReminderSubject.meeting(5)) == "mtg:5"
    assert ReminderSubject.parse("mtg:5") == ReminderSubject(SubjectKind.MEETING, 5)
    assert ReminderSubject.parse("plan:5") is None
    assert ReminderSubject.parse("req:") is None
    with pytest.raises(ValueError):
        ReminderSubject.stored("req:x")


def test_reminder_steps_read_back_as_stored() -> None:
    moment = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    epoch = int(moment.timestamp())
    before = ReminderStep(StepKind.BEFORE, moment, 3600)
    assert str(before) == f"before:{epoch}:3600"
    assert ReminderStep.parse(f"before:{epoch}:3600") == before
    assert str(ReminderStep(StepKind.DIGEST, moment)) == f"digest:{epoch}"
    assert ReminderStep.parse(f"escalate:{epoch}") == ReminderStep(StepKind.ESCALATE, moment)
    assert ReminderStep.parse(f"later:{epoch}") is None
    assert ReminderStep.parse("before") is None
    with pytest.raises(ValueError):
        ReminderStep.stored(f"before:{epoch}:x")
