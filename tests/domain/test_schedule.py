"""When reminders may arrive: cadences, quiet hours, days off (no database needed)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from bot.domain.plan_specs import next_deadline, rule_for
from bot.domain.request_models import RuleKind
from bot.domain.schedule import (
    QuietHours,
    format_offsets,
    is_day_off,
    parse_offsets,
    place,
)
from bot.i18n import zone

NIGHT = QuietHours(time(21), time(8))
BELGRADE, TBILISI = zone("Europe/Belgrade"), zone("Asia/Tbilisi")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_cadences_read_and_written() -> None:
    assert parse_offsets("7d, 1d,2h") == (7 * 86400, 86400, 7200)
    assert parse_offsets("2h 1d 1d") == (86400, 7200)
    assert format_offsets((7 * 86400, 86400, 7200)) == "1w,1d,2h"
    for bad in ("0h", "soon", "7x"):
        with pytest.raises(ValueError):
            parse_offsets(bad)


def test_quiet_hours_move_a_reminder_to_the_morning_in_the_recipients_zone() -> None:
    due = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)  # 19:00 in Belgrade, 22:00 in Tbilisi
    assert place(due, BELGRADE, NIGHT, None, not_after=None, not_before=NOW) == due
    moved = place(due, TBILISI, NIGHT, None, not_after=None, not_before=NOW)
    assert moved == datetime(2026, 12, 4, 8, 0, tzinfo=TBILISI)
    # Just after midnight local: to 08:00 the same day.
    early = datetime(2026, 12, 3, 23, 30, tzinfo=UTC)  # 00:30 in Belgrade
    assert place(early, BELGRADE, NIGHT, None, not_after=None, not_before=NOW) == datetime(
        2026, 12, 4, 8, 0, tzinfo=BELGRADE
    )


def test_a_reminder_that_would_come_after_its_deadline_comes_before_the_night() -> None:
    deadline = datetime(2026, 12, 10, 23, 59, tzinfo=BELGRADE)
    due = datetime(2026, 12, 10, 21, 59, tzinfo=BELGRADE)  # 2 h before: quiet
    moved = place(due, BELGRADE, NIGHT, None, not_after=deadline, not_before=NOW)
    assert moved == datetime(2026, 12, 10, 20, 59, tzinfo=BELGRADE)
    # No polite moment left at all: not planned.
    late_now = datetime(2026, 12, 10, 21, 30, tzinfo=BELGRADE)
    assert place(due, BELGRADE, NIGHT, None, not_after=deadline, not_before=late_now) is None


def test_quiet_hours_can_be_switched_off_or_set_within_a_day() -> None:
    due = datetime(2026, 12, 3, 22, 0, tzinfo=BELGRADE)
    off = QuietHours.parse("off")
    assert place(due, BELGRADE, off, None, not_after=None, not_before=NOW) == due
    lunch = QuietHours.parse("12:00-13:30")
    noon = datetime(2026, 12, 3, 12, 15, tzinfo=BELGRADE)
    assert place(noon, BELGRADE, lunch, None, not_after=None, not_before=NOW) == datetime(
        2026, 12, 3, 13, 30, tzinfo=BELGRADE
    )
    with pytest.raises(ValueError):
        QuietHours.parse("9pm to 8am")


def test_weekends_and_public_holidays_of_the_recipients_country() -> None:
    # 7 January is Orthodox Christmas: a public holiday in Serbia, not in Hungary.
    christmas = date(2027, 1, 7)
    assert is_day_off(christmas, "RS")
    assert not is_day_off(christmas, "HU")
    assert is_day_off(date(2027, 1, 9), "HU")  # a Saturday
    assert not is_day_off(christmas, "XX")  # a country the library does not know: weekdays only
    due = datetime(2027, 1, 7, 17, 0, tzinfo=BELGRADE)
    serbia = place(
        due, BELGRADE, NIGHT, lambda d: is_day_off(d, "RS"), not_after=None, not_before=NOW
    )
    hungary = place(
        due, BELGRADE, NIGHT, lambda d: is_day_off(d, "HU"), not_after=None, not_before=NOW
    )
    assert serbia == datetime(2027, 1, 8, 8, 0, tzinfo=BELGRADE)
    assert hungary == due
    # Friday evening before a weekend, pushed past the deadline on Monday morning? No: back.
    friday = datetime(2027, 1, 8, 22, 0, tzinfo=BELGRADE)
    deadline = datetime(2027, 1, 11, 7, 0, tzinfo=BELGRADE)
    back = place(
        friday, BELGRADE, NIGHT, lambda d: is_day_off(d, "HU"), not_after=deadline, not_before=NOW
    )
    assert back == datetime(2027, 1, 8, 20, 59, tzinfo=BELGRADE)


def test_deadline_rules_of_action_plans() -> None:
    tz = "Europe/Belgrade"
    start = datetime(2026, 11, 23, 23, 59, tzinfo=BELGRADE).astimezone(UTC)
    semester = rule_for("each semester", None, tz)
    first = next_deadline(RuleKind.RRULE, semester, start, tz, NOW)
    assert first == datetime(2026, 12, 31, 23, 59, tzinfo=BELGRADE)
    second = next_deadline(RuleKind.RRULE, semester, start, tz, first)
    assert second == datetime(2027, 6, 30, 23, 59, tzinfo=BELGRADE)
    february = rule_for("each February", None, tz)
    assert next_deadline(RuleKind.RRULE, february, start, tz, NOW) == datetime(
        2027, 2, 28, 23, 59, tzinfo=BELGRADE
    )
    raw = rule_for("FREQ=MONTHLY;BYMONTHDAY=10", None, tz)
    assert next_deadline(RuleKind.RRULE, raw, start, tz, NOW) == datetime(
        2026, 12, 10, 23, 59, tzinfo=BELGRADE
    )
    once = datetime(2027, 9, 1, 23, 59, tzinfo=BELGRADE).astimezone(UTC)
    assert next_deadline(RuleKind.DATE, "", once, tz, NOW) == once
    assert next_deadline(RuleKind.DATE, "", once, tz, once) is None
