"""The steps of registration, the draft a person fills in, and what each answer must be.

The order of the steps and the ones a person may go back to are drawn in
handlers/registration.mmd; bot/domain/registration.py walks them. The limits on names,
institutions, positions and e-mail addresses hold for profile edits too (roster.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any


class Step(StrEnum):
    LANGUAGE = "language"
    CONSENT = "consent"
    NAME = "name"
    COUNTRY = "country"
    COUNTRY_CODE = "country_code"  # typing a code that is not among the buttons
    INSTITUTION = "institution"
    POSITION = "position"
    EMAIL = "email"
    TIMEZONE = "timezone"
    TIMEZONE_INPUT = "timezone_input"
    SUMMARY = "summary"


# The order a first pass walks; COUNTRY is skipped when the invitation fixes the country.
ORDER = (
    Step.LANGUAGE,
    Step.CONSENT,
    Step.NAME,
    Step.COUNTRY,
    Step.INSTITUTION,
    Step.POSITION,
    Step.EMAIL,
    Step.TIMEZONE,
    Step.SUMMARY,
)
# Steps a person may jump back to from the summary.
EDITABLE = (
    Step.LANGUAGE,
    Step.NAME,
    Step.COUNTRY,
    Step.INSTITUTION,
    Step.POSITION,
    Step.EMAIL,
    Step.TIMEZONE,
)
TEXT_STEPS = {
    Step.NAME: "full_name",
    Step.INSTITUTION: "institution",
    Step.POSITION: "position",
    Step.EMAIL: "email",
}
MAX_LENGTH = {"full_name": 200, "institution": 300, "position": 300, "email": 254}
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


class Problem(StrEnum):
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    BAD_EMAIL = "bad_email"
    BAD_COUNTRY = "bad_country"
    BAD_TIMEZONE = "bad_timezone"
    BAD_LANGUAGE = "bad_language"
    WRONG_STEP = "wrong_step"  # a stale button, or text where a button is expected
    NO_DRAFT = "no_draft"


@dataclass(frozen=True)
class Draft:
    telegram_user_id: int
    invite_id: int
    step: Step
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def locale(self) -> str | None:
        return self.data.get("locale")

    @property
    def fixed_country(self) -> bool:
        return bool(self.data.get("fixed_country"))

    @property
    def editing(self) -> bool:
        """Came here from the summary: the next step is the summary again."""
        return bool(self.data.get("editing"))

    def with_data(self, **values: Any) -> Draft:
        return replace(self, data={**self.data, **values})


def check_text(key: str, value: str) -> Problem | None:
    if key == "email":
        if len(value) > MAX_LENGTH[key]:
            return Problem.TOO_LONG
        return None if _EMAIL.match(value) else Problem.BAD_EMAIL
    if len(value) < 2:
        return Problem.TOO_SHORT
    if len(value) > MAX_LENGTH[key]:
        return Problem.TOO_LONG
    return None
