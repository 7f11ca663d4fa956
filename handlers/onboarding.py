"""Registration through a personal invitation link: `/start <token>` and its steps.

The steps are drawn in onboarding.mmd beside this file. Every button press and
typed answer is checked against the draft stored in the database, so stale
buttons, restarts and duplicates are all harmless.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
)

from bot.context import ConveneContext
from bot.domain.access import Principal, commands_for
from bot.domain.countries import SEED_COUNTRIES, timezones_of
from bot.domain.invites import InviteProblem
from bot.domain.models import Member, MemberStatus
from bot.domain.pending import Pending
from bot.domain.registration import PRIVACY_NOTICE_VERSION, StartKind, StepOutcome, SubmitKind
from bot.domain.registration_steps import MAX_LENGTH, TEXT_STEPS, Draft, Problem, Step
from bot.i18n import LANGUAGE_BY_CODE, LANGUAGES, Raw, Translator, match_locale
from handlers.approval import send_approval_requests
from handlers.common import (
    LABEL_BUDGET,
    PRIVATE,
    alert,
    chunked,
    identity_lines,
    keyboard,
    label_width,
    reply,
)
from handlers.menus import describe, set_chat_menu

logger = logging.getLogger(__name__)


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


async def show_step(update: Update, context: ConveneContext, draft: Draft) -> None:
    text, markup = await render_step(context, draft)
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_message(chat.id, text, reply_markup=markup)


async def start(update: Update, context: ConveneContext) -> None:
    """Greet the person; with an invitation token, begin or resume their registration."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    services = context.services
    t = context.t
    token = context.args[0] if context.args else None
    if token is None:
        await start_without_token(update, context)
        return
    suggested_locale = (context.account and context.account.locale) or match_locale(
        user.language_code, services.settings.default_locale
    )
    outcome = await services.registrations.start(
        telegram_user_id=user.id,
        chat_id=chat.id,
        token=token,
        suggested_name=user.full_name,
        suggested_locale=suggested_locale,
    )
    if outcome.kind is StartKind.INVALID:
        assert outcome.problem is not None
        await reply(update, invite_problem_text(t, outcome.problem, outcome.retry_in))
    elif outcome.kind is StartKind.PENDING:
        await reply(update, pending_text(t))
    elif outcome.kind is StartKind.REVOKED:
        await reply(update, revoked_text(t))
    elif outcome.kind is StartKind.ALREADY_MEMBER:
        await reply(
            update, t.gettext("You are already registered, and this link adds nothing new.")
        )
    elif outcome.kind is StartKind.JOINED_TEAMS:
        await reply(
            update, t.gettext("You have been added to: {teams}.", teams=", ".join(outcome.teams))
        )
    else:
        assert outcome.draft is not None
        if outcome.kind is StartKind.RESUMED:
            await reply(
                update,
                t.gettext("Welcome back. Let us continue your registration where you left off."),
            )
        await show_step(update, context, outcome.draft)


async def start_without_token(update: Update, context: ConveneContext) -> None:
    user = update.effective_user
    assert user is not None
    services = context.services
    t = context.t
    draft = await services.registrations.current(user.id)
    if draft is not None:
        await reply(
            update, t.gettext("Welcome back. Let us continue your registration where you left off.")
        )
        await show_step(update, context, draft)
        return
    principal = await services.roster.principal(user.id)
    if principal.is_admin or principal.focal_countries:
        # Admins from CONVENE_ADMINS and focal points may never register; /start is when the
        # bot learns their chat and language, so approval requests and alerts reach them in it.
        await services.roster.remember_chat(user.id, update.effective_chat.id, t.locale)  # type: ignore[union-attr]
        await set_chat_menu(context.bot, t, update.effective_chat.id, principal)  # type: ignore[union-attr]
    member = principal.member
    if member is None:
        if principal.is_admin or principal.focal_countries:
            await reply(update, role_greeting(t, principal))
        else:
            await reply(
                update,
                t.gettext(
                    "Welcome to Convene. Registration is by invitation only: please open the "
                    "personal invitation link the secretariat sent you."
                ),
            )
    elif member.status is MemberStatus.PENDING:
        await reply(update, pending_text(t))
    elif member.status is MemberStatus.REVOKED:
        await reply(update, revoked_text(t))
    else:
        await reply(
            update,
            t.gettext(
                "Welcome back, {name}. Use /help to see what you can do.", name=member.full_name
            ),
        )


def role_greeting(t: Translator, principal: Principal) -> str:
    """What an admin or a focal point is here, and the commands they may use."""
    if principal.is_admin:
        role = t.gettext("Welcome to Convene. You are a secretariat administrator.")
    else:
        countries = sorted(t.country(code) for code in principal.focal_countries)
        role = t.ngettext(
            "Welcome to Convene. You are the national focal point of {countries}.",
            "Welcome to Convene. You are the national focal point of these countries: {countries}.",
            len(countries),
            countries=", ".join(countries),
        )
    commands = [f"/{command} — {describe(t, command)}" for command in commands_for(principal)]
    return "\n".join([role, "", t.gettext("The commands you can use:"), *commands])


def pending_text(t: Translator) -> str:
    return t.gettext(
        "Your registration is waiting for approval by the secretariat. You will get a message "
        "here as soon as it is decided."
    )


def revoked_text(t: Translator) -> str:
    return t.gettext(
        "Your access to Convene has been withdrawn. If you think this is a mistake, please "
        "contact the secretariat."
    )


async def on_button(update: Update, context: ConveneContext) -> None:
    """Handle a registration button: validate it against the stored draft, then move on."""
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None or query.data is None:
        return
    registrations = context.services.registrations
    parts = query.data.split(":")
    action, value = parts[1], ":".join(parts[2:])
    outcome: StepOutcome | None = None
    if action == "lang":
        outcome = await registrations.choose_language(user.id, value)
    elif action == "consent" and value in {"yes", "no"}:
        outcome = await registrations.consent(user.id, value == "yes")
        if outcome.problem is None and outcome.draft is None:
            await query.answer()
            await query.edit_message_reply_markup(None)
            await reply(
                update,
                context.t.gettext(
                    "Understood. Nothing about you has been kept. If you change your mind, open "
                    "your invitation link again."
                ),
            )
            return
    elif action == "name" and value == "keep":
        outcome = await registrations.keep_name(user.id)
    elif action == "country":
        outcome = await registrations.choose_country(user.id, None if value == "other" else value)
    elif action == "email" and value == "skip":
        outcome = await registrations.skip_email(user.id)
    elif action == "tz" and value == "keep":
        outcome = await registrations.keep_timezone(user.id)
    elif action == "tz" and value == "other":
        outcome = await registrations.change_timezone(user.id)
    elif action == "tz" and value.startswith("set:"):
        outcome = await registrations.choose_timezone(user.id, value.removeprefix("set:"))
    elif action == "edit" and value in {step.value for step in Step}:
        outcome = await registrations.edit(user.id, Step(value))
    elif action == "submit":
        await submit(update, context)
        return
    if outcome is None:
        await alert(update, context.t.gettext("This button is no longer valid."))
        return
    t = _translator_for(context, outcome.draft)
    if outcome.problem is not None:
        await alert(update, problem_text(t, outcome.problem, outcome.draft))
        return
    await query.answer()
    # The answered question keeps its text but loses its buttons, so it cannot be pressed again.
    await query.edit_message_reply_markup(None)
    assert outcome.draft is not None
    await show_step(update, context, outcome.draft)


def _translator_for(context: ConveneContext, draft: Draft | None) -> Translator:
    if draft is not None and draft.locale:
        return context.services.i18n.translator(draft.locale)
    return context.t


async def on_input(update: Update, context: ConveneContext, pending: Pending) -> bool:
    """A typed answer to the current registration step (handlers/pending.py routes it)."""
    user = update.effective_user
    message = update.effective_message
    if user is None or message is None or message.text is None:
        return False
    registrations = context.services.registrations
    draft = await registrations.current(user.id)
    if draft is None:
        return False  # the registration ended: the fallback answers
    t = _translator_for(context, draft)
    if draft.step not in {*TEXT_STEPS, Step.COUNTRY_CODE, Step.TIMEZONE_INPUT}:
        await reply(update, t.gettext("Please use the buttons of the last message to answer."))
        return True
    outcome = await registrations.text(user.id, message.text)
    if outcome.problem is not None:
        await reply(update, problem_text(t, outcome.problem, outcome.draft))
    else:
        assert outcome.draft is not None
        await show_step(update, context, outcome.draft)
    return True


async def submit(update: Update, context: ConveneContext) -> None:
    """Confirm the summary: create the member, then tell them and the approvers."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    services = context.services
    outcome = await services.registrations.submit(user.id)
    if outcome.kind is SubmitKind.NOT_READY:
        await alert(update, problem_text(context.t, Problem.WRONG_STEP, None))
        return
    await query.answer()
    await query.edit_message_reply_markup(None)
    if outcome.kind is SubmitKind.INVITE_INVALID:
        assert outcome.problem is not None
        await reply(update, invite_problem_text(context.t, outcome.problem))
        return
    member = outcome.member
    assert member is not None
    t = services.i18n.translator(member.locale)
    teams = ", ".join(outcome.teams)
    if outcome.kind is SubmitKind.ACTIVE:
        await reply(update, welcome_text(t, member, teams))
        principal = await services.roster.principal(user.id)
        await set_chat_menu(context.bot, t, member.chat_id or user.id, principal)
        return
    await reply(
        update,
        t.gettext(
            "Thank you, {name}. Your registration was sent to the secretariat for approval; "
            "you will get a message here as soon as it is decided.",
            name=member.full_name,
        ),
    )
    await send_approval_requests(context, member, list(outcome.teams), outcome.approvers)


def welcome_text(t: Translator, member: Member, teams: str) -> str:
    return t.gettext(
        "Thank you, {name}. Your registration is complete: you are now a member of {teams}. "
        "Use /help to see what you can do.",
        name=member.full_name,
        teams=teams,
    )


def register(app: Application) -> None:
    app.add_handler(CommandHandler("start", start, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^reg:"))
