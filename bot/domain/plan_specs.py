"""An action plan as the secretariat writes it, read into a PlanSpec, and deadline rules.

A plan comes as a JSON document (a mapping with its items) or a CSV table (one item a
row); each item names its responsible parties, its deadline (a date, or a rule: RFC 5545
RRULE, a shorthand such as "semester" or "february", or "permanent") and what it asks
for. Everything wrong in it is a PlanError that says where. bot/domain/plans.py imports
the spec and creates the obligations.

A deadline given as a date means the end of that day (23:59) in the plan's time zone, as
"by 1 September" does in the source documents; recurring deadlines fall at 23:59 too.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from dateutil.rrule import rrulestr

from bot.config import is_valid_timezone
from bot.domain.meetings import parse_local_datetime
from bot.domain.models import Audience
from bot.domain.notices import NoticeError, parse_audience
from bot.domain.request_models import AnswerKind, RuleKind
from bot.domain.requests import RequestError, check_options, check_texts
from bot.domain.schedule import parse_offsets
from bot.i18n import SUPPORTED_LOCALES, zone

END_OF_DAY = time(23, 59)
MONTHS = {
    name: number
    for number, name in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        start=1,
    )
}
SHORTHANDS = {
    "month": "FREQ=MONTHLY;BYMONTHDAY=-1",
    "monthly": "FREQ=MONTHLY;BYMONTHDAY=-1",
    "quarter": "FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1",
    "quarterly": "FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1",
    "semester": "FREQ=YEARLY;BYMONTH=6,12;BYMONTHDAY=-1",
    "semi-annually": "FREQ=YEARLY;BYMONTH=6,12;BYMONTHDAY=-1",
    "half-year": "FREQ=YEARLY;BYMONTH=6,12;BYMONTHDAY=-1",
}
DEFAULT_REPORTS = SHORTHANDS["semester"]  # status reports of a permanent item


class PlanError(ValueError):
    """A plan file that cannot be imported; the message names the item and the field."""


@dataclass(frozen=True)
class ItemSpec:
    ref: str
    title: str
    body: str
    responsible: Audience
    rule_kind: RuleKind
    rule: str
    dtstart: datetime
    answer_kind: AnswerKind
    options: tuple[str, ...] = ()
    reminder_offsets: tuple[int, ...] | None = None
    translations: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class PlanSpec:
    slug: str
    title: str
    ref_locale: str
    timezone: str
    items: tuple[ItemSpec, ...]


def rule_for(every: str, deadline: datetime | None, timezone: str) -> str:
    """An RRULE for a shorthand ("semester", "february", "year") or a rule as written."""
    text = every.strip()
    key = text.lower().removeprefix("each ").removeprefix("every ").strip()
    if key in SHORTHANDS:
        return SHORTHANDS[key]
    if key in MONTHS:
        return f"FREQ=YEARLY;BYMONTH={MONTHS[key]};BYMONTHDAY=-1"
    if key in {"year", "yearly", "annually"}:
        if deadline is None:
            raise PlanError("a yearly rule needs a first deadline")
        local = deadline.astimezone(zone(timezone))
        return f"FREQ=YEARLY;BYMONTH={local.month};BYMONTHDAY={local.day}"
    rule = text.removeprefix("RRULE:").strip()
    if not rule.upper().startswith("FREQ="):
        raise PlanError(
            f"not a rule: {every!r} (use month, quarter, semester, a month name, or an RRULE)"
        )
    try:
        parsed = rrulestr(rule, dtstart=datetime(2026, 1, 1, 23, 59))
    except (ValueError, TypeError) as error:
        raise PlanError(f"not a valid RRULE: {every!r} ({error})") from error
    if parsed.after(datetime(2026, 1, 1), inc=True) is None:
        raise PlanError(f"the RRULE {every!r} never gives a date (is the day in the month?)")
    return rule.upper()


def next_deadline(
    rule_kind: RuleKind, rule: str, dtstart: datetime, timezone: str, after: datetime
) -> datetime | None:
    """The first deadline of the item strictly after `after`, or None."""
    if rule_kind is RuleKind.DATE:
        return dtstart if dtstart > after else None
    tz = zone(timezone)
    start = dtstart.astimezone(tz).replace(tzinfo=None)
    local_after = after.astimezone(tz).replace(tzinfo=None)
    found = rrulestr(rule, dtstart=start).after(
        max(local_after, start - timedelta(seconds=1)), inc=False
    )
    if found is None:
        return None
    return found.replace(tzinfo=tz).astimezone(UTC)


def _audience(value: Any, where: str) -> Audience:
    """ "RS, MK", ["RS", "MK"], "countries=RS teams=x", or a mapping of those parts."""
    try:
        if isinstance(value, dict):
            words = [f"{key}={','.join(str(v) for v in _list(val))}" for key, val in value.items()]
            return parse_audience(words)
        if isinstance(value, list):
            return parse_audience([f"countries={','.join(str(v) for v in value)}"])
        text = str(value or "").strip()
        if "=" in text:
            return parse_audience(text.split())
        return parse_audience([f"countries={text.replace(' ', '')}"])
    except NoticeError as error:
        raise PlanError(f"{where}: responsible party not understood: {value!r}") from error


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [v.strip() for v in re.split(r"[;,]", str(value)) if v.strip()]


def _deadline(value: Any, timezone: str, where: str) -> datetime:
    if isinstance(value, datetime):
        value = value.strftime("%Y-%m-%d %H:%M")
    elif isinstance(value, date):
        value = value.isoformat()
    found = parse_local_datetime(str(value), timezone, end_of_day=True)
    if found is None:
        raise PlanError(f"{where}: not a date: {value!r} (use 2027-09-01 or 2027-09-01 17:00)")
    return found


def _rule(
    raw: dict[str, Any], every: str, permanent: bool, first: datetime | None, timezone: str
) -> tuple[RuleKind | None, str]:
    if permanent:
        reports = str(raw.get("reports") or "").strip()
        every = "" if every.lower() == "permanent" else every
        if reports or every:
            return RuleKind.PERMANENT, rule_for(reports or every, first, timezone)
        return RuleKind.PERMANENT, DEFAULT_REPORTS
    if every:
        return RuleKind.RRULE, rule_for(every, first, timezone)
    if first is not None:
        return RuleKind.DATE, ""
    return None, ""


def _text(raw: dict[str, Any], where: str, *keys: str) -> str:
    """A field that must be text (a number is taken as written), e.g. a title."""
    for key in keys:
        value = raw.get(key)
        if value is None or value == "":
            continue
        if isinstance(value, str):
            return value.strip()
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        raise PlanError(f"{where}{key}: must be text, not {type(value).__name__} {value!r}"[:200])
    return ""


def item_spec(raw: dict[str, Any], timezone: str, now: datetime, index: int) -> ItemSpec:
    if not isinstance(raw, dict):
        raise PlanError(f"items: item {index} must be a mapping of fields (ref, title …)")
    ref = _text(raw, f"item {index}: ", "ref", "id") or str(index)
    where = f"item {ref}"
    title = _text(raw, f"{where}: ", "title")
    if not title:
        raise PlanError(f"{where}: a title is needed")
    responsible = _audience(raw.get("responsible"), where)
    if responsible.is_empty:
        raise PlanError(f"{where}: a responsible party is needed")
    deadline = raw.get("deadline") or raw.get("due")
    every = _text(raw, f"{where}: ", "every", "rule")
    permanent = str(raw.get("permanent") or "").lower() in {"true", "yes", "1"} or (
        every.lower() == "permanent"
    )
    first = _deadline(deadline, timezone, where) if deadline else None
    try:
        kind, rule = _rule(raw, every, permanent, first, timezone)
    except PlanError as error:
        raise PlanError(f"{where}: {error}") from error
    if kind is None:
        raise PlanError(f"{where}: give a deadline, a rule (every: …) or permanent: true")
    if first is None:
        local_today = now.astimezone(zone(timezone)).date()
        first = datetime.combine(local_today, END_OF_DAY, tzinfo=zone(timezone)).astimezone(UTC)
    try:
        answer_kind = AnswerKind(str(raw.get("answer") or "documents").strip().lower())
    except ValueError as error:
        raise PlanError(f"{where}: answer must be text, documents or choice") from error
    try:
        options = check_options(answer_kind, tuple(str(o) for o in _list(raw.get("options"))))
    except RequestError as error:
        raise PlanError(f"{where}: options: 2 to 8 short options for a choice") from error
    remind = raw.get("remind") or raw.get("reminders")
    try:
        offsets = parse_offsets(str(remind)) if remind else None
    except ValueError as error:
        raise PlanError(f"{where}: remind: {error}") from error
    translations = raw.get("translations") or {}
    if not isinstance(translations, dict) or not all(
        isinstance(texts, dict) for texts in translations.values()
    ):
        raise PlanError(f"{where}: translations must map a language to its texts")
    return ItemSpec(
        ref=ref[:32],
        title=title,
        body=_text(raw, f"{where}: ", "body", "description"),
        responsible=responsible,
        rule_kind=kind,
        rule=rule,
        dtstart=first,
        answer_kind=answer_kind,
        options=options,
        reminder_offsets=offsets,
        translations={str(k): dict(v) for k, v in translations.items()},
    )


def plan_spec(data: dict[str, Any], now: datetime, default_timezone: str) -> PlanSpec:
    """A plan from a YAML or TOML mapping."""
    slug = _text(data, "", "slug", "plan").lower()
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,63}", slug):
        raise PlanError("slug: a short name of letters, digits and dashes is needed")
    timezone = _text(data, "", "timezone") or default_timezone
    if not is_valid_timezone(timezone):
        raise PlanError(f"timezone: {timezone!r} is not an IANA time zone")
    locale = _text(data, "", "locale", "language") or "en"
    if locale not in SUPPORTED_LOCALES:
        raise PlanError(f"locale: {locale!r} is not one of the catalogs")
    raw_items = data.get("items") or []
    if not isinstance(raw_items, list) or not raw_items:
        raise PlanError("items: the plan lists no items")
    items = tuple(
        item_spec(raw, timezone, now, index) for index, raw in enumerate(raw_items, start=1)
    )
    refs = [item.ref for item in items]
    if len(set(refs)) != len(refs):
        raise PlanError("items: two items have the same ref")
    for item in items:
        try:
            check_texts(item.title, item.body, item.translations, locale)
        except RequestError as error:
            raise PlanError(f"item {item.ref}: {error.problem.value} {error.value}") from error
    return PlanSpec(slug, _text(data, "", "title") or slug, locale, timezone, items)


def plan_spec_from_csv(
    text: str, *, slug: str, title: str | None, timezone: str, locale: str, now: datetime
) -> PlanSpec:
    """Columns: ref, title, body, responsible, deadline, every, answer, options, remind
    (options separated by ";"; responsible as "RS;MK" or "countries=RS teams=x")."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    rows = [{k.strip().lower(): (v or "").strip() for k, v in row.items() if k} for row in reader]
    for row in rows:
        if row.get("responsible") and "=" not in row["responsible"]:
            row["responsible"] = row["responsible"].replace(";", ",")
    data = {"slug": slug, "title": title or slug, "timezone": timezone, "locale": locale}
    return plan_spec({**data, "items": rows}, now, timezone)
