"""Data protection from the command line.

convene forget TELEGRAM_ID      erase a person (a request made to the secretariat)
convene retention purge         what the daily job does, now
"""

from __future__ import annotations

import argparse
from typing import Any

from bot.cli.common import Commands, Parsers, fail
from bot.cli.input import telegram_id
from bot.config import Settings


def add_forget(sub: Any) -> None:
    sub.add_parser("forget", help="erase a person's data").add_argument(
        "telegram_id", type=telegram_id
    )


def add_retention(sub: Any) -> None:
    retention = sub.add_parser("retention", help="data retention").add_subparsers(
        dest="action", required=True
    )
    retention.add_parser("purge", help="forget old revoked members, purge old answers, now")


async def forget(
    args: argparse.Namespace, settings: Settings, db: Any, roster: Any, clock: Any
) -> int:
    from bot.domain.privacy import Privacy

    privacy = Privacy(db, clock, settings.retain_revoked, settings.retain_answers)
    if not await privacy.forget(args.telegram_id, requested_by=None):
        return fail(f"nothing is held about Telegram user {args.telegram_id}")
    print(f"Telegram user {args.telegram_id} forgotten; the audit log keeps a pseudonym only.")
    return 0


async def retention_purge(
    args: argparse.Namespace, settings: Settings, db: Any, roster: Any, clock: Any
) -> int:
    from bot.domain.privacy import Privacy

    report = await Privacy(db, clock, settings.retain_revoked, settings.retain_answers).purge()
    print(
        f"Forgotten: {report.members} revoked members; purged: {report.invitations} "
        f"invitations and {report.answers} answers."
    )
    return 0


PARSERS: Parsers = {"forget": add_forget, "retention": add_retention}

COMMANDS: Commands = {
    ("forget", None): forget,
    ("retention", "purge"): retention_purge,
}
