"""The roster from the command line: who administers, who is a focal point, the teams and
the members.

convene admin add|remove TELEGRAM_ID
convene focal add|remove TELEGRAM_ID --country CC
convene team create NAME [--slug S] | team list
convene members list [--team S] [--country CC] [--status S] [--format table|csv|json]
"""

from __future__ import annotations

import argparse
from typing import Any

from bot.cli.common import Commands, Parsers, print_rows
from bot.cli.input import InputError, telegram_id
from bot.config import Settings


def add_admin(sub: Any) -> None:
    admin = sub.add_parser("admin", help="secretariat admins").add_subparsers(
        dest="action", required=True
    )
    for action in ("add", "remove"):
        admin.add_parser(action).add_argument("telegram_id", type=telegram_id)


def add_focal(sub: Any) -> None:
    focal = sub.add_parser("focal", help="national focal points").add_subparsers(
        dest="action", required=True
    )
    for action in ("add", "remove"):
        p = focal.add_parser(action)
        p.add_argument("telegram_id", type=telegram_id)
        p.add_argument("--country", required=True)


def add_team(sub: Any) -> None:
    team = sub.add_parser("team", help="teams").add_subparsers(dest="action", required=True)
    create_team = team.add_parser("create")
    create_team.add_argument("name")
    create_team.add_argument("--slug")
    team.add_parser("list")


def add_members(sub: Any) -> None:
    members = sub.add_parser("members", help="the roster").add_subparsers(
        dest="action", required=True
    )
    list_members = members.add_parser("list")
    list_members.add_argument("--team")
    list_members.add_argument("--country")
    list_members.add_argument("--status")
    list_members.add_argument("--format", choices=["table", "csv", "json"], default="table")


async def grant_or_withdraw(
    args: argparse.Namespace, settings: Settings, db: Any, roster: Any, clock: Any
) -> int:
    """`admin add|remove ID` and `focal add|remove ID --country CC`."""
    from bot.domain.countries import normalize_country
    from bot.domain.models import Role

    if args.command == "admin":
        role, country, label = Role.ADMIN, "", "a secretariat admin"
    else:
        found = normalize_country(args.country)
        if found is None:
            raise InputError(f"--country: {args.country!r} is not a country's two-letter code")
        country = found
        role, label = Role.FOCAL_POINT, f"a focal point for {country}"
    if args.action == "add":
        changed = await roster.grant(args.telegram_id, role, country)
        print(f"{args.telegram_id} is {'now' if changed else 'already'} {label}.")
    else:
        changed = await roster.withdraw(args.telegram_id, role, country)
        print(f"{args.telegram_id} {'is no longer' if changed else 'was not'} {label}.")
    return 0


async def team_create(
    args: argparse.Namespace, settings: Settings, db: Any, roster: Any, clock: Any
) -> int:
    team = await roster.create_team(args.name, args.slug)
    print(f"Created team {team.name!r} with the slug {team.slug!r}.")
    return 0


async def team_list(
    args: argparse.Namespace, settings: Settings, db: Any, roster: Any, clock: Any
) -> int:
    for team in await roster.teams():
        print(f"{team.slug}\t{team.name}")
    return 0


async def members_list(
    args: argparse.Namespace, settings: Settings, db: Any, roster: Any, clock: Any
) -> int:
    found = await roster.members(team=args.team, country=args.country, status=args.status)
    fields = [
        "id",
        "full_name",
        "country",
        "institution",
        "position",
        "email",
        "status",
        "locale",
        "timezone",
        "teams",
        "telegram_user_id",
    ]
    rows = [
        {
            **{key: getattr(member, key) for key in fields if key != "teams"},
            "status": member.status.value,
            "teams": " ".join(member.teams),
        }
        for member in found
    ]
    columns = ["id", "full_name", "country", "institution", "position", "status", "teams"]
    print_rows(rows, fields, columns, args.format)
    if args.format == "table":
        print(f"({len(rows)} member{'s' if len(rows) != 1 else ''})")
    return 0


PARSERS: Parsers = {
    "admin": add_admin,
    "focal": add_focal,
    "team": add_team,
    "members": add_members,
}

COMMANDS: Commands = {
    ("admin", "add"): grant_or_withdraw,
    ("admin", "remove"): grant_or_withdraw,
    ("focal", "add"): grant_or_withdraw,
    ("focal", "remove"): grant_or_withdraw,
    ("team", "create"): team_create,
    ("team", "list"): team_list,
    ("members", "list"): members_list,
}
