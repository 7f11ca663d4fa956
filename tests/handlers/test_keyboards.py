"""Every button label is drawn whole on a phone, in every language.

The keyboards are taken from the real builders, in each of the 20 languages, and every
row is measured against handlers.common.LABEL_BUDGET; the labels of every button written
as `(t.gettext(...), data)` in handlers/ are measured in every catalog too.
"""

from __future__ import annotations

import ast
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from telegram import InlineKeyboardMarkup

from bot.domain.answers import OwedAnswer
from bot.domain.models import Answer, Audience, Invitation, Meeting, MeetingMode, MeetingStatus
from bot.domain.registration_steps import Draft, Step
from bot.domain.request_models import (
    AnswerKind,
    Request,
    RequestStatus,
    Response,
    ResponseFile,
    ResponseStatus,
)
from bot.i18n import SUPPORTED_LOCALES, I18n, Translator
from handlers import (
    meeting_cards,
    meetings,
    registration_approval,
    registration_steps,
    request_cards,
)
from handlers.common import LABEL_BUDGET, fit_rows, keyboard, label_budget, label_width
from tests.auxil.harness import Harness

HANDLERS = Path(__file__).resolve().parents[2] / "handlers"
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def rows_of(markup: InlineKeyboardMarkup | None) -> list[list[str]]:
    if markup is None:
        return []
    return [[button.text for button in row] for row in markup.inline_keyboard]


def cut_labels(markup: InlineKeyboardMarkup | None) -> list[str]:
    """Labels longer than their row leaves them room for."""
    return [
        f"{label!r} ({label_width(label)} > {label_budget(len(row))}, {len(row)} a row)"
        for row in rows_of(markup)
        for label in row
        if label_width(label) > label_budget(len(row))
    ]


def a_meeting(**changes: Any) -> Meeting:
    meeting = Meeting(
        id=7,
        title="Technical meeting on mutual legal assistance",
        description="",
        agenda="",
        ref_locale="en",
        translations={},
        starts_at=datetime(2026, 12, 10, 8, 30, tzinfo=UTC),
        ends_at=datetime(2026, 12, 10, 15, 30, tzinfo=UTC),
        timezone="Europe/Belgrade",
        mode=MeetingMode.HYBRID,
        venue="Palace of Justice",
        city="Belgrade",
        host_country="RS",
        online_url="https://meet.example.org/mla",
        audience=Audience(teams=("criminal",)),
        rsvp_deadline=datetime(2026, 12, 1, 16, 0, tzinfo=UTC),
        tentative=True,
        ask_comment=True,
        status=MeetingStatus.ANNOUNCED,
        date_version=1,
        created_by=None,
        created_at=NOW,
        updated_at=NOW,
    )
    return replace(meeting, **changes)


def an_invitation(answer: Answer | None) -> Invitation:
    return Invitation(
        id=31,
        meeting_id=7,
        member_id=5,
        answer=answer,
        comment=None,
        answered_at=NOW if answer else None,
        needs_confirmation=False,
        stands_in_for=None,
        substitute_id=None,
        substitute_requested_at=None,
        invited_at=NOW,
    )


def an_owed_answer(kind: AnswerKind, answered: bool) -> OwedAnswer:
    request = Request(
        id=12,
        title="Nominate your representative to the executive board",
        body="",
        ref_locale="en",
        translations={},
        deadline=NOW + timedelta(days=10),
        timezone="Europe/Belgrade",
        audience=Audience(countries=("RS",)),
        answer_kind=kind,
        options=("Yes", "No", "We need more time"),
        accept_late=True,
        reminder_offsets=None,
        skip_days_off=None,
        item_id=None,
        status=RequestStatus.OPEN,
        escalated_at=None,
        created_by=None,
        created_at=NOW,
        updated_at=NOW,
    )
    files = (ResponseFile(1, 3, "f", "u", "nomination.pdf", "application/pdf", 9, None, 5, NOW),)
    response = Response(
        id=3,
        request_id=12,
        party="country:RS",
        status=ResponseStatus.SUBMITTED if answered else ResponseStatus.PENDING,
        choice=0 if answered else None,
        text="A. B." if answered else None,
        answered_by=5 if answered else None,
        answered_at=NOW if answered else None,
        amendments=0,
        files=files if answered else (),
    )
    return OwedAnswer(request, response, member=None, answered_by=None)  # type: ignore[arg-type]


def built_keyboards(t: Translator) -> dict[str, InlineKeyboardMarkup | None]:
    """The keyboards the builders draw that need no database."""
    found: dict[str, InlineKeyboardMarkup | None] = {
        "language picker": registration_steps.language_keyboard("reg:lang:", "sr_Latn"),
        "approval card": registration_approval.card_buttons(t, 4821),
    }
    for mode in MeetingMode:
        for answer in (None, Answer.TENTATIVE, Answer.NOT_ATTENDING):
            meeting = a_meeting(mode=mode)
            found[f"invitation card, {mode.value}, {answer}"] = meeting_cards.card_buttons(
                t, meeting, an_invitation(answer)
            )
    for step in ("mode", "timezone", "description", "venue"):
        found[f"new meeting, {step}"] = meetings.step_buttons(t, step, "Europe/Belgrade")
    for kind in AnswerKind:
        for answered in (False, True):
            owed = an_owed_answer(kind, answered)
            found[f"request card, {kind.value}, {answered}"] = request_cards.card_buttons(
                t, owed, NOW
            )
    return found


def test_a_row_is_split_where_a_label_would_be_cut() -> None:
    """Three to a row leaves ~12 characters: the row of 11, 16 and 14 becomes two and one."""
    row = [("Комментарий", "a"), ("Отправить замену", "b"), ("Файл календаря", "c")]
    assert fit_rows([row]) == [row[:2], row[2:]]
    long = [("Комментарий", "a"), ("Предложить замену вместо себя", "b"), ("Файл", "c")]
    assert fit_rows([long]) == [long[:1], long[1:2], long[2:]]
    short = [("Start", "1"), ("End", "2"), ("Time zone", "3")]
    assert fit_rows([short]) == [short]  # what fits stays as written
    pair = [("Comment", "1"), ("Send a substitute", "2"), ("Calendar file", "3")]
    assert fit_rows([pair]) == [pair[:2], pair[2:]]  # 17 characters fit two to a row
    assert rows_of(keyboard([long])) == [
        ["Комментарий"],
        ["Предложить замену вместо себя"],
        ["Файл"],
    ]
    assert LABEL_BUDGET[1] >= 2 * LABEL_BUDGET[2] >= 3 * LABEL_BUDGET[3] - 2
    assert label_width("📅 Календар") == 11 and label_width("e\u0301") == 1


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_keyboard_fits_a_phone_in_every_language(locale: str) -> None:
    t = I18n("en").translator(locale)
    problems = [
        f"{name}: {problem}"
        for name, markup in built_keyboards(t).items()
        for problem in cut_labels(markup)
    ]
    assert problems == []


async def test_every_registration_step_fits_a_phone_in_every_language(bot: Harness) -> None:
    await bot.services.roster.create_team("Regional expert team – criminal matters", "criminal")
    created = await bot.services.invites.create(team_slugs=["criminal"])
    invite_id = created.invite.id
    problems = []
    for locale in SUPPORTED_LOCALES:
        t = bot.services.i18n.translator(locale)
        context = SimpleNamespace(services=bot.services, t=t)
        data = {
            "locale": locale,
            "suggested_name": "Aleksandra Kovačević-Petrović",
            "full_name": "Aleksandra Kovačević-Petrović",
            "country": "BA",
            "institution": "Ministry of Justice",
            "position": "Prosecutor",
        }
        for step in Step:
            draft = Draft(telegram_user_id=1, invite_id=invite_id, step=step, data=data)
            _, markup = await registration_steps.render_step(context, draft)  # type: ignore[arg-type]
            problems += [f"{locale} {step.value}: {problem}" for problem in cut_labels(markup)]
    assert problems == []


def button_labels_in_code() -> set[tuple[str | None, str]]:
    """(context, msgid) of every `(t.gettext("…"), data)` button written in handlers/."""
    found: set[tuple[str | None, str]] = set()
    for path in HANDLERS.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Tuple) and len(node.elts) == 2):
                continue
            label, data = node.elts
            is_data = isinstance(data, ast.JoinedStr) or (
                isinstance(data, ast.Constant) and isinstance(data.value, str)
            )
            if not is_data:
                continue
            if not (isinstance(label, ast.Call) and isinstance(label.func, ast.Attribute)):
                continue
            strings = [a.value for a in label.args if isinstance(a, ast.Constant)]
            if label.func.attr == "gettext" and strings:
                found.add((None, strings[0]))
            elif label.func.attr == "pgettext" and len(strings) >= 2:
                found.add((strings[0], strings[1]))
    return found


def test_every_button_label_of_every_catalog_fits_a_row_of_its_own() -> None:
    labels = button_labels_in_code()
    assert (None, "Send a substitute") in labels and (None, "Approve") in labels
    i18n = I18n("en")
    too_long = []
    for locale in SUPPORTED_LOCALES:
        t = i18n.translator(locale)
        for context, msgid in sorted(labels, key=str):
            text = t.pgettext(context, msgid) if context else t._catalog.gettext(msgid)
            if label_width(text) > LABEL_BUDGET[1]:
                too_long.append(f"{locale}: {text!r} ({label_width(text)})")
    assert too_long == []


def test_a_long_name_on_the_keep_button_is_shortened_not_cut() -> None:
    i18n = I18n("en")
    for locale in SUPPORTED_LOCALES:
        t = i18n.translator(locale)
        label = registration_steps.keep_name_label(t, "Aleksandra Kovačević-Petrović Nikolovska")
        assert label_width(label) <= LABEL_BUDGET[1] and "…" in label, label
    en = i18n.translator("en")
    assert registration_steps.keep_name_label(en, "Ana & Ivan") == "Keep “Ana & Ivan”"  # plain text
