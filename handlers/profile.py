"""`/profile`: a member sees what Convene holds about them and corrects it."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
)

from bot.context import ConveneContext
from bot.domain.models import Member, MemberStatus
from bot.domain.pending import Feature, Pending
from bot.domain.registration_steps import MAX_LENGTH
from bot.i18n import LANGUAGE_BY_CODE, Raw, Translator
from handlers.common import PRIVATE, alert, chunked, keyboard, member_identity, reply
from handlers.preferences import not_registered_text

FIELDS = ("full_name", "institution", "position", "email")


def status_label(t: Translator, status: MemberStatus) -> str:
    labels = {
        MemberStatus.PENDING: t.pgettext("member status", "waiting for approval"),
        MemberStatus.ACTIVE: t.pgettext("member status", "active"),
        MemberStatus.REVOKED: t.pgettext("member status", "access withdrawn"),
        MemberStatus.UNREACHABLE: t.pgettext("member status", "unreachable"),
    }
    return labels[status]


def team_role_label(t: Translator, role: str) -> str:
    labels = {
        "chair": t.pgettext("team role", "chair"),
        "member": t.pgettext("team role", "member"),
        "observer": t.pgettext("team role", "observer"),
    }
    return labels.get(role, role)


def field_label(t: Translator, field: str) -> str:
    labels = {
        "full_name": t.pgettext("profile field", "full name"),
        "institution": t.pgettext("profile field", "institution"),
        "position": t.pgettext("profile field", "position"),
        "email": t.pgettext("profile field", "e-mail address"),
    }
    return labels[field]


async def render_profile(context: ConveneContext, member: Member) -> str:
    t = context.t
    services = context.services
    teams = await services.roster.teams_of(member.id)
    language = LANGUAGE_BY_CODE.get(member.locale or "")
    timezone = member.timezone or services.settings.timezone
    lines = [
        *member_identity(t, member),
        t.gettext("Language: {language}", language=language.native_name if language else "—"),
        t.gettext("Time zone: {timezone}", timezone=timezone),
        t.gettext(
            "Teams: {teams}",
            teams=", ".join(f"{team.name} ({team_role_label(t, role)})" for team, role in teams),
        ),
        t.gettext("Status: {status}", status=status_label(t, member.status)),
        t.gettext("Registered: {date}", date=t.datetime(member.created_at, timezone)),
    ]
    return t.gettext(
        "<b>Your profile</b>\n\n{details}\n\nTo change your language or time zone use /language "
        "or /timezone. To change your country, please contact the secretariat.",
        details=Raw("\n".join(lines)),
    )


async def profile(update: Update, context: ConveneContext) -> None:
    """Show the member's profile with buttons to edit each field."""
    user = update.effective_user
    assert user is not None
    member = (await context.services.roster.principal(user.id)).member
    if member is None or member.status is not MemberStatus.ACTIVE:
        await reply(update, not_registered_text(context))
        return
    t = context.t
    buttons = [
        (t.gettext("Edit {field}", field=field_label(t, field)), f"prof:{field}")
        for field in FIELDS
    ]
    await reply(
        update, await render_profile(context, member), reply_markup=keyboard(chunked(buttons, 2))
    )


async def on_edit(update: Update, context: ConveneContext) -> None:
    """Ask for the new value of one field; the next text message answers it."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    t = context.t
    field = (query.data or "").removeprefix("prof:")
    member = (await context.services.roster.principal(user.id)).member
    if field not in FIELDS:
        await alert(update, t.gettext("This button is no longer valid."))
        return
    if member is None or member.status is not MemberStatus.ACTIVE:
        await alert(update, not_registered_text(context))
        return
    await context.services.pending.ask(user.id, Feature.PROFILE, subject=field)
    await query.answer()
    prompt = t.gettext("Send your new {field}.", field=field_label(t, field))
    if field == "email":
        prompt += " " + t.gettext("Send “-” to remove it.")
    await reply(update, prompt)


async def on_input(update: Update, context: ConveneContext, pending: Pending) -> bool:
    """Typed text after an Edit button is the new value (handlers/pending.py routes it)."""
    user = update.effective_user
    message = update.effective_message
    field = pending.subject or ""
    if user is None or message is None or message.text is None or field not in FIELDS:
        return False
    services = context.services
    t = context.t
    member = (await services.roster.principal(user.id)).member
    if member is None or member.status is not MemberStatus.ACTIVE:
        await services.pending.clear(user.id, Feature.PROFILE)
        await reply(update, not_registered_text(context))
        return True
    problem = await services.roster.update_profile(member.id, field, message.text)
    if problem == "too_short":
        await reply(update, t.gettext("That is too short. Please try again."))
    elif problem == "too_long":
        await reply(
            update,
            t.gettext(
                "That is too long (at most {max} characters). Please try again.",
                max=MAX_LENGTH.get(field, 200),
            ),
        )
    elif problem == "bad_email":
        await reply(
            update,
            t.gettext(
                "That does not look like an e-mail address. Please send one like name@example.org."
            ),
        )
    else:
        await services.pending.clear(user.id, Feature.PROFILE)
        member = (await services.roster.principal(user.id)).member
        assert member is not None
        await reply(update, t.gettext("Saved.") + "\n\n" + await render_profile(context, member))
    return True


def register(app: Application) -> None:
    app.add_handler(CommandHandler("profile", profile, filters=PRIVATE))
    app.add_handler(CallbackQueryHandler(on_edit, pattern=r"^prof:"))
