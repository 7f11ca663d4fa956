"""Invitation links from the command line.

convene invite create --team S [--team S2] [--country CC] [--uses N] [--expires 7d]
                      [--approval auto|manual] [--role member|chair|observer]
convene invite revoke NUMBER
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.cli.common import Commands, Parsers
from bot.cli.input import row_number
from bot.config import Settings


def add_invite(sub: Any) -> None:
    invite = sub.add_parser("invite", help="invitation links").add_subparsers(
        dest="action", required=True
    )
    create_invite = invite.add_parser("create")
    create_invite.add_argument(
        "--team", action="append", required=True, help="team slug (repeatable)"
    )
    create_invite.add_argument("--country")
    create_invite.add_argument("--uses", type=int, default=1)
    create_invite.add_argument("--expires", default="14d", help="e.g. 12h, 7d, 2w (default 14d)")
    create_invite.add_argument("--approval", choices=["auto", "manual"], default="manual")
    create_invite.add_argument("--role", choices=["member", "chair", "observer"], default="member")
    invite.add_parser("revoke", help="withdraw a link").add_argument("invite_id", type=row_number)


async def invite_create(
    args: argparse.Namespace, settings: Settings, db: Any, roster: Any, clock: Any
) -> int:
    from bot.domain.invites import (
        Invites,
        InviteSpecError,
        InviteSpecProblem,
        deep_link,
        parse_duration,
    )
    from bot.domain.models import Approval, TeamRole

    expires = parse_duration(args.expires)
    if expires is None:
        raise InviteSpecError(InviteSpecProblem.BAD_EXPIRY, args.expires)
    created = await Invites(db, clock).create(
        team_slugs=args.team,
        country=args.country,
        uses=args.uses,
        expires_in=expires,
        approval=Approval(args.approval),
        team_role=TeamRole(args.role),
    )
    username = await _bot_username(settings, db)
    link = deep_link(username, created.token) if username else None
    invite = created.invite
    print(f"Link:     {link or '(start the bot once so that it learns its username)'}")
    print(f"Number:   {invite.id}")
    print(f"Token:    {created.token}")
    print(f"Teams:    {', '.join(team.slug for team in invite.teams)}")
    print(f"Country:  {invite.country or 'any'}")
    print(f"Uses:     {invite.max_uses}")
    print(f"Expires:  {invite.expires_at.isoformat(timespec='minutes')}")
    print(f"Approval: {invite.approval.value}")
    return 0


async def invite_revoke(
    args: argparse.Namespace, settings: Settings, db: Any, roster: Any, clock: Any
) -> int:
    from bot.domain.invites import revoke_invite

    if await revoke_invite(db, clock, args.invite_id):
        print(f"Invitation #{args.invite_id} is withdrawn: its link no longer works.")
        return 0
    print(f"error: no active invitation #{args.invite_id}", file=sys.stderr)
    return 1


async def _bot_username(settings: Settings, db: Any) -> str | None:
    """The bot's @username: remembered by the bot at start, else asked of the Bot API."""
    async with db.transaction() as tx:
        stored = await tx.meta.get("bot_username")
    if stored or not settings.bot_token:
        return stored
    from telegram import Bot
    from telegram.error import TelegramError

    try:
        async with Bot(settings.bot_token, base_url=settings.base_url) as bot:
            return bot.username
    except TelegramError:
        return None


PARSERS: Parsers = {"invite": add_invite}

COMMANDS: Commands = {
    ("invite", "create"): invite_create,
    ("invite", "revoke"): invite_revoke,
}
