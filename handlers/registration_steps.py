"""Each step of a registration as the person reads it: the question, its buttons, and what
is wrong with an answer (the steps themselves are decided in bot/domain/registration.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from telegram import InlineKeyboardMarkup

from bot.context import ConveneContext
from bot.domain.countries import SEED_COUNTRIES, timezones_of
from bot.domain.invites import InviteProblem
from bot.domain.registration import PRIVACY_NOTICE_VERSION
from bot.domain.registration_steps import MAX_LENGTH, TEXT_STEPS, Draft, Problem, Step
from bot.i18n import LANGUAGE_BY_CODE, LANGUAGES, Raw, Translator
from handlers.common import (
    LABEL_BUDGET,
    chunked,
    identity_lines,
    keyboard,
    label_width,
)


def invite_problem_text(
    t: Translator, problem: InviteProblem, retry_in: timedelta | None = None
) -> str:
    if problem is InviteProblem.TOO_MANY_TRIES:
        return t.gettext(
            "Too many invitation links that do not work were tried from this account. "
            "Please try again {relative}, or ask the secretariat for a new link.",
            relative=t.relative(retry_in or timedelta(minutes=1)),
        )
    if problem is InviteProblem.EXPIRED:
        return t.gettext(
            "This invitation link has expired. Please ask the secretariat for a new one."
        )
    if problem is InviteProblem.USED_UP:
        return t.gettext(
            "This invitation link has already been used. Invitation links are personal: "
            "please ask the secretariat for your own."
        )
    if problem is InviteProblem.REVOKED:
        return t.gettext(
            "This invitation link has been withdrawn. Please ask the secretariat for a new one."
        )
    return t.gettext(
        "This invitation link is not valid. Please check that you opened the whole link, "
        "or ask the secretariat for a new one."
    )


def problem_text(t: Translator, problem: Problem, draft: Draft | None) -> str:
    if problem is Problem.TOO_SHORT:
        return t.gettext("That is too short. Please try again.")
    if problem is Problem.TOO_LONG:
        key = TEXT_STEPS.get(draft.step, "full_name") if draft else "full_name"
        return t.gettext(
            "That is too long (at most {max} characters). Please try again.", max=MAX_LENGTH[key]
        )
    if problem is Problem.BAD_EMAIL:
        return t.gettext(
            "That does not look like an e-mail address. Please send one like name@example.org, "
            "or press “Skip”."
        )
    if problem is Problem.BAD_COUNTRY:
        return t.gettext(
            "I do not know that country code. Please send a two-letter ISO code such as RS, MK or IT."
        )
    if problem is Problem.BAD_TIMEZONE:
        return t.gettext(
            "I could not find that time zone. Please send a name such as Europe/Skopje "
            "or a city such as Skopje."
        )
    if problem is Problem.NO_DRAFT:
        return t.gettext(
            "There is no registration in progress. Please open your invitation link again."
        )
    return t.gettext("This button belongs to an earlier step. Please use the latest message.")


def language_keyboard(prefix: str, suggested: str | None = None) -> InlineKeyboardMarkup:
    buttons = [
        (
            ("• " if language.code == suggested else "") + language.native_name,
            f"{prefix}{language.code}",
        )
        for language in LANGUAGES
    ]
    return keyboard(chunked(buttons, 2))


def keep_name_label(t: Translator, name: str) -> str:
    """ "Keep “Name”", the name shortened with "…" if the label would not fit a phone.

    A label is plain text, not HTML: the name goes in as it is ("Ana & Ivan", not "&amp;")."""
    label = t.gettext("Keep “{name}”", name=Raw(name))
    overflow = label_width(label) - LABEL_BUDGET[1]
    if overflow > 0:
        label = t.gettext("Keep “{name}”", name=Raw(name[: -overflow - 1].rstrip() + "…"))
    return label


def local_time(t: Translator, timezone: str, now: datetime) -> str:
    return t.datetime(now, timezone)


def summary_lines(t: Translator, data: dict[str, object], teams: list[str]) -> list[str]:
    language = LANGUAGE_BY_CODE.get(str(data.get("locale")))
    return [
        *identity_lines(
            t,
            name=str(data.get("full_name") or ""),
            country=str(data.get("country") or ""),
            institution=str(data.get("institution") or ""),
            position=str(data.get("position") or ""),
            email=str(data.get("email") or "") or None,
        ),
        t.gettext("Language: {language}", language=language.native_name if language else ""),
        t.gettext("Time zone: {timezone}", timezone=data.get("timezone") or ""),
        t.gettext("Teams: {teams}", teams=", ".join(teams)),
    ]


async def render_step(
    context: ConveneContext, draft: Draft
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The prompt for the step the draft is at, in the draft's language."""
    services = context.services
    t = services.i18n.translator(draft.locale) if draft.locale else context.t
    step = draft.step
    if step is Step.LANGUAGE:
        invite = await services.registrations.invite_of(draft)
        text = t.gettext(
            "Welcome to Convene, the coordination bot of {teams}.\n\nPlease choose your language.",
            teams=", ".join(team.name for team in invite.teams) if invite else "",
        )
        return text, language_keyboard("reg:lang:", draft.data.get("suggested_locale"))
    if step is Step.CONSENT:
        settings = services.settings
        text = t.gettext(
            "<b>Privacy notice</b>\n\n"
            "Convene keeps the details you give here (name, country, institution, position, "
            "an optional e-mail address, language and time zone) with your Telegram account, "
            "so that the secretariat can send you meeting notices and requests, record your "
            "answers, and show who was told what and when. They are seen by the secretariat, "
            "by the national focal points of your country and by the chairs of your teams.\n\n"
            "If your access is withdrawn, your details are deleted after {revoked_period}; "
            "answers are deleted after {answers_period}. The official record keeps only a "
            "pseudonym. At any time, /mydata sends you everything stored about you and "
            "/forget deletes it.\n\nNotice version {version}. Do you agree?",
            revoked_period=t.duration(settings.retain_revoked),
            answers_period=t.duration(settings.retain_answers),
            version=PRIVACY_NOTICE_VERSION,
        )
        buttons = [
            [(t.gettext("I agree"), "reg:consent:yes")],
            [(t.gettext("I do not agree"), "reg:consent:no")],
        ]
        return text, keyboard(buttons)
    if step is Step.NAME:
        suggested = draft.data.get("full_name") or draft.data.get("suggested_name")
        text = t.gettext(
            "What is your full name, as it should appear on attendance lists? Send it as a message."
        )
        if suggested and len(suggested) >= 2:
            label = keep_name_label(t, suggested)
            return text, keyboard([[(label, "reg:name:keep")]])
        return text, None
    if step is Step.COUNTRY:
        choices = sorted(
            ((t.country(code), f"reg:country:{code}") for code in SEED_COUNTRIES),
            key=lambda item: item[0],
        )
        countries = chunked(choices, 2)
        countries.append([(t.gettext("Another country"), "reg:country:other")])
        return t.gettext("Which country's delegation are you part of?"), keyboard(countries)
    if step is Step.COUNTRY_CODE:
        return t.gettext(
            "Send the two-letter ISO code of your country, for example FR for France."
        ), None
    if step is Step.INSTITUTION:
        return t.gettext(
            "Which institution do you work for? For example: Ministry of Justice, "
            "Prosecutor's Office for Organized Crime."
        ), None
    if step is Step.POSITION:
        return t.gettext("What is your position in that institution?"), None
    if step is Step.EMAIL:
        return t.gettext(
            "Your e-mail address for official correspondence (optional). Send it as a message, "
            "or press “Skip”."
        ), keyboard([[(t.gettext("Skip"), "reg:email:skip")]])
    if step is Step.TIMEZONE:
        current = services.registrations.timezone_for(draft)
        text = t.gettext(
            "Dates and times will be shown in the time zone {timezone}. It is now {time} there. "
            "Is that right?",
            timezone=current,
            time=local_time(t, current, services.clock.now()),
        )
        rows = [[(t.gettext("Yes, keep it"), "reg:tz:keep")]]
        others = [z for z in timezones_of(str(draft.data.get("country") or "")) if z != current]
        rows += chunked([(z, f"reg:tz:set:{z}") for z in others[:8]], 2)
        rows.append([(t.gettext("Another time zone"), "reg:tz:other")])
        return text, keyboard(rows)
    if step is Step.TIMEZONE_INPUT:
        return t.gettext(
            "Send the name of your time zone or of a city in it, for example Europe/Skopje or Skopje."
        ), None
    # SUMMARY
    invite = await services.registrations.invite_of(draft)
    teams = [team.name for team in invite.teams] if invite else []
    data = {**draft.data, "timezone": services.registrations.timezone_for(draft)}
    text = t.gettext(
        "<b>Please check your details</b>\n\n{details}\n\nIs everything correct?",
        details=Raw("\n".join(summary_lines(t, data, teams))),
    )
    edits = [
        (t.gettext("Edit name"), "reg:edit:name"),
        (t.gettext("Edit institution"), "reg:edit:institution"),
        (t.gettext("Edit position"), "reg:edit:position"),
        (t.gettext("Edit e-mail"), "reg:edit:email"),
        (t.gettext("Edit time zone"), "reg:edit:timezone"),
        (t.gettext("Edit language"), "reg:edit:language"),
    ]
    if not draft.fixed_country:
        edits.insert(1, (t.gettext("Edit country"), "reg:edit:country"))
    rows = [[(t.gettext("Confirm"), "reg:submit")], *chunked(edits, 2)]
    return text, keyboard(rows)
