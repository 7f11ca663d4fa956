"""A meeting being written step by step (the chat's /newmeeting and /editmeeting dialog,
and later the web workspace's form): which question comes next, and each answer checked
with the limits that `check_spec` applies again when the meeting is published.

The draft is a plain dict (kept as the author's pending input, bot/domain/pending.py):
ISO strings for moments, the audience as JSON.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.countries import normalize_country
from bot.domain.meetings import (
    MAX_PLACE,
    MAX_TEXT,
    MAX_TITLE,
    MIN_TITLE,
    MeetingError,
    MeetingSpec,
    Problem,
    default_deadline,
    parse_local_datetime,
)
from bot.domain.models import Audience, Meeting, MeetingMode, TeamRole
from bot.domain.notices import NoticeError, parse_audience
from bot.domain.timezones import resolve_timezone

STEPS = (
    "title",
    "description",
    "agenda",
    "timezone",
    "start",
    "end",
    "mode",
    "venue",
    "city",
    "country",
    "link",
    "audience",
    "deadline",
)
SKIPPABLE = {"description", "agenda", "venue", "city", "country", "deadline"}


def next_step(step: str, data: dict[str, Any]) -> str:
    """The step after `step`, skipping those the chosen format does not need."""
    if data.get("until") == step:
        del data["until"]
        data["review"] = True
    if data.get("review"):
        return "preview"
    index = STEPS.index(step) + 1
    while index < len(STEPS):
        candidate = STEPS[index]
        mode = data.get("mode")
        if candidate in {"venue", "city", "country"} and mode == MeetingMode.ONLINE.value:
            index += 1
            continue
        if candidate == "link" and mode == MeetingMode.IN_PERSON.value:
            index += 1
            continue
        return candidate
    return "preview"


def take_answer(
    step: str, text: str | None, data: dict[str, Any], now: datetime, timezone: str
) -> None:
    """Store the answer to `step` (None: skipped) in `data`, or raise MeetingError saying
    what is wrong (nothing stored). `timezone` is the zone the times are typed in."""
    if step == "title":
        title = " ".join((text or "").split())
        if not MIN_TITLE <= len(title) <= MAX_TITLE:
            raise MeetingError(Problem.TITLE)
        data["title"] = title
    elif step in {"description", "agenda"}:
        if text and len(text) > MAX_TEXT:
            raise MeetingError(Problem.TEXT_TOO_LONG, str(MAX_TEXT))
        data[step] = (text or "").strip()
    elif step == "timezone":
        resolved = resolve_timezone(text or "")
        if resolved is None:
            raise MeetingError(Problem.TIMEZONE)
        data["timezone"] = resolved
    elif step == "start":
        moment = parse_local_datetime(text or "", timezone)
        if moment is None:
            raise MeetingError(Problem.START)
        if moment <= now:
            raise MeetingError(Problem.START_PAST)
        data["start"] = moment.isoformat()
    elif step == "end":
        value = (text or "").strip()
        if re.match(r"^\d{1,2}[:.]\d{2}$", value) and data.get("start"):
            start_local = datetime.fromisoformat(data["start"]).astimezone(ZoneInfo(timezone))
            value = f"{start_local.date().isoformat()} {value.replace('.', ':')}"
        moment = parse_local_datetime(value, timezone)
        if moment is None:
            raise MeetingError(Problem.START)
        if data.get("start") and moment <= datetime.fromisoformat(data["start"]):
            raise MeetingError(Problem.END_BEFORE_START)
        data["end"] = moment.isoformat()
    elif step in {"venue", "city"}:
        if text and len(text) > MAX_PLACE:
            raise MeetingError(Problem.TEXT_TOO_LONG, str(MAX_PLACE))
        data[step] = (text or "").strip() or None
    elif step == "country":
        if text is None:
            data["country"] = None
        else:
            code = normalize_country(text)
            if code is None:
                raise MeetingError(Problem.COUNTRY, text.strip())
            data["country"] = code
    elif step == "link":
        value = (text or "").strip()
        if not re.match(r"^https?://\S+$", value) or len(value) > MAX_PLACE:
            raise MeetingError(Problem.LINK)
        data["link"] = value
    elif step == "audience":
        try:
            audience = parse_audience((text or "").split())
        except NoticeError:
            raise MeetingError(Problem.AUDIENCE_EMPTY) from None
        if audience.meeting is not None or any(
            role not in {r.value for r in TeamRole} for role in audience.roles
        ):
            raise MeetingError(Problem.AUDIENCE_EMPTY)
        data["audience"] = audience.as_json()
    elif step == "deadline":
        if text is None:
            data["deadline"] = None
        else:
            moment = parse_local_datetime(text, timezone, end_of_day=True)
            if moment is None:
                raise MeetingError(Problem.START)
            if moment <= now:
                raise MeetingError(Problem.DEADLINE_PAST)
            if data.get("start") and moment > datetime.fromisoformat(data["start"]):
                raise MeetingError(Problem.DEADLINE_AFTER_START)
            data["deadline"] = moment.isoformat()


def draft_of(meeting: Meeting) -> dict[str, Any]:
    return {
        "meeting_id": meeting.id,
        "title": meeting.title,
        "description": meeting.description,
        "agenda": meeting.agenda,
        "ref_locale": meeting.ref_locale,
        "timezone": meeting.timezone,
        "start": meeting.starts_at.isoformat(),
        "end": meeting.ends_at.isoformat(),
        "mode": meeting.mode.value,
        "venue": meeting.venue,
        "city": meeting.city,
        "country": meeting.host_country,
        "link": meeting.online_url,
        "audience": meeting.audience.as_json(),
        "deadline": meeting.rsvp_deadline.isoformat(),
        "tentative": meeting.tentative,
        "ask_comment": meeting.ask_comment,
        "review": True,
    }


def spec_of(data: dict[str, Any], original: Meeting | None) -> MeetingSpec:
    starts_at = datetime.fromisoformat(data["start"])
    timezone = data["timezone"]
    deadline = (
        datetime.fromisoformat(data["deadline"])
        if data.get("deadline")
        else default_deadline(starts_at, timezone)
    )
    spec = MeetingSpec(
        title=data.get("title", ""),
        description=data.get("description") or "",
        agenda=data.get("agenda") or "",
        ref_locale=data.get("ref_locale", "en"),
        timezone=timezone,
        starts_at=starts_at,
        ends_at=datetime.fromisoformat(data["end"]),
        mode=MeetingMode(data["mode"]),
        venue=data.get("venue"),
        city=data.get("city"),
        host_country=data.get("country"),
        online_url=data.get("link"),
        audience=Audience.from_json(data.get("audience") or {}),
        rsvp_deadline=deadline,
        tentative=bool(data.get("tentative")),
        ask_comment=bool(data.get("ask_comment")),
    )
    if original is not None:
        spec = replace(spec, translations=dict(original.translations))
    return spec
