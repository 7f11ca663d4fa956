"""A request of the secretariat with a deadline in Belgrade, and the reminder sweep driven
by the fake clock."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.models import Audience
from bot.domain.reminders import request_subject
from bot.domain.request_models import AnswerKind
from bot.domain.requests import RequestSpec
from bot.i18n import zone
from tests.auxil.harness import Harness, Person
from tests.conftest import ADMIN_ID

BELGRADE = zone("Europe/Belgrade")
# 19:00 in Belgrade and Skopje, 22:00 in Tbilisi: the Georgian member's evening reminders
# fall into quiet hours (21:00–08:00 local) and move to the next morning.
DEADLINE = datetime(2026, 12, 10, 19, 0, tzinfo=BELGRADE)


def request_spec(**changes: object) -> RequestSpec:
    """A choice request to Serbia, Georgia and North Macedonia; `changes` replace fields."""
    values: dict[str, object] = {
        "title": "Answer to the invitation to the technical meeting",
        "body": "Please confirm whether your country will take part.",
        "deadline": DEADLINE.astimezone(UTC),
        "timezone": "Europe/Belgrade",
        "audience": Audience(countries=("RS", "GE", "MK")),
        "answer_kind": AnswerKind.CHOICE,
        "options": ("We take part", "We do not take part"),
    }
    values.update(changes)
    return RequestSpec(**values)  # type: ignore[arg-type]


async def create(bot: Harness, **changes: object) -> int:
    """Create `request_spec(**changes)` and deliver its cards; the request's id."""
    request_id, _, _ = await bot.services.requests.create(
        request_spec(**changes), created_by=ADMIN_ID
    )
    await bot.deliver()
    return request_id


async def sweep(bot: Harness) -> None:
    await bot.services.reminders.sweep()
    await bot.deliver()


async def next_planned(bot: Harness) -> datetime | None:
    async with bot.services.db.transaction() as tx:
        return await tx.reminders.next_send_at()


async def run_until(bot: Harness, moment: datetime) -> None:
    """Move the clock from one planned reminder to the next, sweeping at each, up to `moment`;
    then sweep once more at `moment` (escalations happen at deadlines, not planned)."""
    while (due := await next_planned(bot)) is not None and due <= moment:
        bot.clock.set(max(due, bot.clock.now()))
        await sweep(bot)
    bot.clock.set(max(moment, bot.clock.now()))
    await sweep(bot)


def reminders_to(bot: Harness, person: Person, marker: str) -> list[str]:
    return [text for text in bot.replies(person) if marker in text]


async def planned(bot: Harness, request_id: int) -> list[tuple[int, str, datetime, str]]:
    """The request's reminder rows: (recipient, step, when, state)."""
    async with bot.services.db.transaction() as tx:
        rows = await tx.reminders.of_subject(request_subject(request_id))
    return [(r.telegram_user_id, r.step, r.send_at, r.state.value) for r in rows]
