"""Registration through a personal invitation link: `/start <token>` and its steps.

The steps are drawn in registration.mmd beside this file. Every button press and
typed answer is checked against the draft stored in the database, so stale
buttons, restarts and duplicates are all harmless.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
)

from bot.context import ConveneContext
from bot.domain.access import Principal, commands_for
from bot.domain.models import Member, MemberStatus
from bot.domain.pending import Pending
from bot.domain.registration import StartKind, StepOutcome, SubmitKind
from bot.domain.registration_steps import TEXT_STEPS, Draft, Problem, Step
from bot.i18n import Translator, match_locale
from handlers.common import (
    PRIVATE,
    alert,
    reply,
)
from handlers.menus import describe, set_chat_menu
from handlers.registration_approval import send_approval_requests
from handlers.registration_steps import (
    invite_problem_text,
    problem_text,
    render_step,
)

logger = logging.getLogger(__name__)


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
