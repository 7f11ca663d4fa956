"""Notices from the command line: `convene notice resend NOTICE`.

convene notice resend NOTICE    queue a notice again for exactly those it did not reach
                                (failed or unreachable); the running bot delivers it
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.cli_input import row_number
from bot.config import Settings


def add_parsers(sub: Any) -> None:
    notice = sub.add_parser("notice", help="notices already sent").add_subparsers(
        dest="action", required=True
    )
    resend = notice.add_parser(
        "resend", help="send a notice again to exactly those it did not reach"
    )
    resend.add_argument("notice_id", type=row_number)


async def resend(
    args: argparse.Namespace, settings: Settings, db: Any, roster: Any, clock: Any
) -> int:
    from bot.domain.notices import Notices

    count = await Notices(db, clock).resend(args.notice_id, actor=None)
    if count is None:
        print(f"error: there is no notice #{args.notice_id}", file=sys.stderr)
        return 1
    if count == 0:
        print(f"Notice #{args.notice_id} reached everyone it could: nobody to send it to again.")
        return 0
    print(
        f"Notice #{args.notice_id} queued again for {count} recipients; the running bot "
        "delivers it, and the secretariat's admins are told if some still fail."
    )
    return 0


COMMANDS: dict[tuple[str, str | None], Any] = {("notice", "resend"): resend}
