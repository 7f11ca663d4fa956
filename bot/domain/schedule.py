"""When a reminder may arrive: cadences, quiet hours, weekends and public holidays.

A reminder is planned for a moment (say, one day before a deadline) and then moved out of
the recipient's quiet hours (21:00–08:00 in their own time zone by default) and, if the
item or the installation asks for it, off their weekend and their country's public
holidays, to the first moment after them that is allowed.

A reminder that would then arrive after what it reminds of (a "2 hours before" reminder
pushed to the next morning, past a deadline at midnight) is useless, so it is moved the
other way instead: to the last allowed moment before the quiet hours began. If even that
has already passed, it is not planned at all.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

_DURATION = re.compile(r"^(\d{1,4})\s*([wdhm])$")
_UNIT_SECONDS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60}
MAX_STEPS = 64  # a rule that keeps moving the moment (every day a holiday) gives up


def parse_duration(text: str) -> int:
    """Seconds in "7d", "2h", "30m", "1w"; ValueError otherwise."""
    match = _DURATION.match(text.strip().lower())
    if not match:
        raise ValueError(f"not a duration like 7d, 2h or 30m: {text!r}")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def parse_offsets(text: str) -> tuple[int, ...]:
    """A cadence, "7d,1d,2h": seconds before the moment, largest first, no repeats."""
    parts = [p for p in re.split(r"[,\s]+", text.strip()) if p]
    if not parts:
        return ()
    seconds = {parse_duration(p) for p in parts}
    if 0 in seconds:
        raise ValueError("a reminder must come before the deadline, not at it (0)")
    return tuple(sorted(seconds, reverse=True))


def format_offsets(offsets: tuple[int, ...]) -> str:
    def one(value: int) -> str:
        for unit in ("w", "d", "h", "m"):
            if value % _UNIT_SECONDS[unit] == 0:
                return f"{value // _UNIT_SECONDS[unit]}{unit}"
        return f"{value // 60}m"

    return ",".join(one(v) for v in offsets)


@dataclass(frozen=True)
class QuietHours:
    """A nightly window in local time; start == end means none."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        """ "21:00-08:00", or "off"."""
        if text.strip().lower() in {"off", "none", "no", ""}:
            return cls(time(0), time(0))
        match = re.match(r"^(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})$", text.strip())
        if not match:
            raise ValueError(f"not a window like 21:00-08:00: {text!r}")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        return cls(time(h1, m1), time(h2, m2))

    def contains(self, moment: time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@functools.lru_cache(maxsize=256)
def _holidays(country: str, year: int) -> frozenset[date]:
    try:
        found = holidays.country_holidays(country, years=year)
    except NotImplementedError:  # a country the library does not know: weekends only
        return frozenset()
    return frozenset(found.keys())


def is_day_off(day: date, country: str | None) -> bool:
    """Saturday, Sunday, or a public holiday of `country` (ISO code) per `holidays`."""
    if day.weekday() >= 5:
        return True
    return bool(country) and day in _holidays(country.upper(), day.year)  # type: ignore[union-attr]


DayOff = Callable[[date], bool]


def _at(day: date, clock: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=tz)


def next_allowed(
    moment: datetime, tz: ZoneInfo, quiet: QuietHours, day_off: DayOff | None
) -> datetime:
    """The first moment at or after `moment` outside quiet hours and days off."""
    for _ in range(MAX_STEPS):
        local = moment.astimezone(tz)
        if day_off is not None and day_off(local.date()):
            # The next day, from the end of the night (or midnight without quiet hours).
            moment = _at(local.date() + timedelta(days=1), quiet.end, tz)
            continue
        if quiet.contains(local.time()):
            if quiet.start > quiet.end and local.time() >= quiet.start:
                moment = _at(local.date() + timedelta(days=1), quiet.end, tz)
            else:
                moment = _at(local.date(), quiet.end, tz)
            continue
        return moment
    return moment


def last_allowed(
    moment: datetime, tz: ZoneInfo, quiet: QuietHours, day_off: DayOff | None
) -> datetime:
    """The last moment at or before `moment` outside quiet hours and days off."""
    minute = timedelta(minutes=1)
    for _ in range(MAX_STEPS):
        local = moment.astimezone(tz)
        if day_off is not None and day_off(local.date()):
            moment = _at(local.date(), time(0), tz) - minute
            continue
        if quiet.contains(local.time()):
            if quiet.start > quiet.end and local.time() < quiet.end:
                moment = _at(local.date() - timedelta(days=1), quiet.start, tz) - minute
            else:
                moment = _at(local.date(), quiet.start, tz) - minute
            continue
        return moment
    return moment


def place(
    due: datetime,
    tz: ZoneInfo,
    quiet: QuietHours,
    day_off: DayOff | None,
    *,
    not_after: datetime | None,
    not_before: datetime,
) -> datetime | None:
    """When to send a reminder meant for `due`; None if no polite moment is left."""
    forward = next_allowed(due, tz, quiet, day_off)
    if not_after is None or forward <= not_after:
        return forward
    backward = last_allowed(due, tz, quiet, day_off)
    return backward if backward >= not_before else None
