"""The `.ics` file that comes with a meeting invitation (RFC 5545, via `icalendar`).

The UID stays the same for the life of a meeting and SEQUENCE grows with every change,
so calendar programs replace the earlier entry on an update and remove it on a
cancellation instead of adding a second one.
"""

from __future__ import annotations

from datetime import datetime

from icalendar import Calendar, Event

from bot.domain.models import Meeting, MeetingStatus, MeetingText

PRODID = "-//Convene//Meeting notices//EN"


def meeting_ics(meeting: Meeting, text: MeetingText, *, now: datetime, domain: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    cancelled = meeting.status is MeetingStatus.CANCELLED
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", f"meeting-{meeting.id}@{domain}")
    # Seconds from creation to the last change: grows with every edit and cancellation, so
    # the newest file always wins in a calendar, whichever notice or button it came with.
    event.add("sequence", int((meeting.updated_at - meeting.created_at).total_seconds()))
    event.add("dtstamp", now)
    event.add("dtstart", meeting.starts_at)
    event.add("dtend", meeting.ends_at)
    event.add("summary", text.title)
    description = "\n\n".join(part for part in (text.description, text.agenda) if part)
    if meeting.online_url:
        description = f"{description}\n\n{meeting.online_url}".strip()
        event.add("url", meeting.online_url)
    if description:
        event.add("description", description)
    place = ", ".join(p for p in (meeting.venue, meeting.city, meeting.host_country) if p)
    if place:
        event.add("location", place)
    elif meeting.online_url:
        event.add("location", meeting.online_url)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()
