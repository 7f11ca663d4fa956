"""`/invite`: a personal invitation link for a team (and a country), made by the secretariat.

The role is checked in the database on every use; a person without it gets a localized
refusal and nothing changes.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.context import ConveneContext
from bot.domain.invites import (
    DEFAULT_EXPIRY,
    InviteSpecError,
    InviteSpecProblem,
    deep_link,
    parse_duration,
)
from bot.domain.models import Approval, TeamRole
from bot.i18n import Translator
from handlers.common import (
    PRIVATE,
    parse_options,
    reply,
    require_admin,
)

logger = logging.getLogger(__name__)

_admin = require_admin


async def invite_usage(context: ConveneContext) -> str:
    t = context.t
    teams = await context.services.roster.teams()
    listing = ", ".join(team.slug for team in teams) or "—"
    return t.gettext(
        "Usage: /invite TEAM[,TEAM…] [country=CC] [uses=N] [expires=7d] [approval=auto|manual] "
        "[role=member|chair|observer]\n\nTeams: {teams}",
        teams=listing,
    )


def invite_error_text(t: Translator, error: InviteSpecError) -> str:
    if error.problem is InviteSpecProblem.UNKNOWN_TEAM:
        return t.gettext("There is no team “{team}”.", team=error.value)
    if error.problem is InviteSpecProblem.BAD_COUNTRY:
        return t.gettext("“{value}” is not a two-letter ISO country code.", value=error.value)
    if error.problem is InviteSpecProblem.BAD_USES:
        return t.gettext("The number of uses must be between 1 and 10000.")
    if error.problem is InviteSpecProblem.BAD_EXPIRY:
        return t.gettext("The expiry must be like 12h, 7d or 2w, and at most a year.")
    if error.problem is InviteSpecProblem.BAD_OPTION:
        return t.gettext("Unknown option “{value}”.", value=error.value)
    return t.gettext("Please name at least one team.")


async def invite(update: Update, context: ConveneContext) -> None:
    """Create an invitation link and show it, once, to the admin."""
    principal = await _admin(update, context)
    if principal is None:
        return
    t = context.t
    services = context.services
    teams, options = parse_options(context.args or [])
    if not teams and not options:
        await reply(update, await invite_usage(context))
        return
    try:
        unknown = set(options) - {"country", "uses", "expires", "approval", "role"}
        if unknown:
            raise InviteSpecError(InviteSpecProblem.BAD_OPTION, sorted(unknown)[0])
        uses_text = options.get("uses", "1")
        if not uses_text.isdigit():
            raise InviteSpecError(InviteSpecProblem.BAD_USES, uses_text)
        expires = parse_duration(options["expires"]) if "expires" in options else DEFAULT_EXPIRY
        if expires is None:
            raise InviteSpecError(InviteSpecProblem.BAD_EXPIRY, options["expires"])
        try:
            approval = Approval(options.get("approval", Approval.MANUAL.value).lower())
            role = TeamRole(options.get("role", TeamRole.MEMBER.value).lower())
        except ValueError as error:
            raise InviteSpecError(InviteSpecProblem.BAD_OPTION, str(error).split("'")[1]) from None
        created = await services.invites.create(
            team_slugs=teams,
            country=options.get("country"),
            uses=int(uses_text),
            expires_in=expires,
            approval=approval,
            team_role=role,
            created_by=principal.telegram_user_id,
        )
    except InviteSpecError as error:
        await reply(update, invite_error_text(t, error) + "\n\n" + await invite_usage(context))
        return
    item = created.invite
    timezone = context.timezone
    approval_text = (
        t.gettext("automatic")
        if item.approval is Approval.AUTO
        else t.gettext("by the secretariat or a focal point")
    )
    text = t.gettext(
        "<b>Invitation link</b>\n{link}\n\nTeams: {teams}\nCountry: {country}\nUses: {uses}\n"
        "Expires: {expires}\nApproval: {approval}\n\nThe link is shown only this once: forward "
        "it to the person it is meant for.",
        link=deep_link(context.bot.username, created.token),
        teams=", ".join(team.name for team in item.teams),
        country=t.country(item.country) if item.country else t.gettext("any"),
        uses=item.max_uses,
        expires=t.datetime(item.expires_at, timezone),
        approval=approval_text,
    )
    logger.debug("Admin %s created invitation #%s", principal.telegram_user_id, item.id)
    await reply(update, text)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("invite", invite, filters=PRIVATE))
