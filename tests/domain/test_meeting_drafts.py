"""A meeting written step by step: each answer checked with the domain's limits."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.domain.meeting_drafts import next_step, take_answer
from bot.domain.meetings import MAX_PLACE, MAX_TEXT, MAX_TITLE, MeetingError, Problem
from bot.domain.models import MeetingMode

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
SARAJEVO = "Europe/Sarajevo"


def take(step: str, text: str | None, data: dict[str, Any] | None = None) -> dict[str, Any]:
    data = {} if data is None else data
    take_answer(step, text, data, NOW, SARAJEVO)
    return data


def problem(step: str, text: str | None, data: dict[str, Any] | None = None) -> MeetingError:
    before = dict(data or {})
    with pytest.raises(MeetingError) as raised:
        take(step, text, data)
    assert (data or {}) == before  # nothing stored
    return raised.value


def test_the_limits_are_the_domains() -> None:
    assert take("title", "  Regional   meeting on MLA  ")["title"] == "Regional meeting on MLA"
    assert problem("title", "x").problem is Problem.TITLE
    assert problem("title", "x" * (MAX_TITLE + 1)).problem is Problem.TITLE
    assert take("title", "x" * MAX_TITLE)["title"] == "x" * MAX_TITLE
    error = problem("agenda", "x" * (MAX_TEXT + 1))
    assert (error.problem, error.value) == (Problem.TEXT_TOO_LONG, str(MAX_TEXT))
    error = problem("venue", "x" * (MAX_PLACE + 1))
    assert (error.problem, error.value) == (Problem.TEXT_TOO_LONG, str(MAX_PLACE))
    assert problem("link", "https://" + "x" * MAX_PLACE).problem is Problem.LINK


def test_times_are_read_in_the_meetings_zone_and_checked() -> None:
    data = take("start", "10.12.2026 9:30")
    assert data["start"] == "2026-12-10T08:30:00+00:00"  # 09:30 in Sarajevo
    assert problem("start", "31.02.2026 9:30").problem is Problem.START
    assert problem("start", "01.12.2026 9:30").problem is Problem.START_PAST
    assert take("end", "17:00", data)["end"] == "2026-12-10T16:00:00+00:00"
    assert problem("end", "08:00", data).problem is Problem.END_BEFORE_START
    assert problem("deadline", "2026-12-11", data).problem is Problem.DEADLINE_AFTER_START
    assert problem("deadline", "2026-12-01", data).problem is Problem.DEADLINE_PAST
    assert (
        take("deadline", "2026-12-09", data)["deadline"] == "2026-12-09T22:59:00+00:00"
    )  # 23:59 there


def test_country_and_audience() -> None:
    assert take("country", " ba ")["country"] == "BA"
    error = problem("country", "Atlantis")
    assert (error.problem, error.value) == (Problem.COUNTRY, "Atlantis")
    assert problem("audience", "role=president").problem is Problem.AUDIENCE_EMPTY
    assert take("audience", "team=criminal role=chair")["audience"]


def test_an_online_meeting_skips_the_place() -> None:
    data = {"mode": MeetingMode.ONLINE.value}
    assert next_step("mode", data) == "link"
    data = {"mode": MeetingMode.IN_PERSON.value}
    assert next_step("country", data) == "audience"
