"""Notices from the command line: announcements, and sending one again.

convene announce --text T | --file F.yaml [--team S] [--country CC] [--role R] [--member N]
                 [--meeting ID] [--all] [--ack] [--restricted] [--document PATH]
convene notice resend NOTICE    queue a notice again for exactly those it did not reach
                                (failed or unreachable); the running bot delivers it
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.cli.common import Commands, Parsers
from bot.cli.input import Fields, InputError, read_data_file, row_number
from bot.config import Settings


def add_announce(sub: Any) -> None:
    announce = sub.add_parser("announce", help="send an announcement (the bot delivers it)")
    announce.add_argument("--text", help="the text, in --language")
    announce.add_argument(
        "--file", help="YAML/TOML with text, language, translations {locale: text}"
    )
    announce.add_argument("--language", default="en")
    announce.add_argument("--team", action="append", default=[])
    announce.add_argument("--country", action="append", default=[])
    announce.add_argument(
        "--role", action="append", default=[], help="chair, member, observer, focal"
    )
    announce.add_argument("--member", action="append", type=row_number, default=[])
    announce.add_argument("--meeting", type=row_number, help="the invitees of this meeting")
    announce.add_argument("--all", action="store_true", help="every active member")
    announce.add_argument("--ack", action="store_true", help="ask for an acknowledgment")
    announce.add_argument("--restricted", action="store_true", help="no forwarding or saving")
    announce.add_argument("--document", help="a file to attach")


def add_notice(sub: Any) -> None:
    notice = sub.add_parser("notice", help="notices already sent").add_subparsers(
        dest="action", required=True
    )
    resend = notice.add_parser(
        "resend", help="send a notice again to exactly those it did not reach"
    )
    resend.add_argument("notice_id", type=row_number)


def _attachment(document: str | None) -> tuple[str | None, str | None]:
    """The absolute path (the bot may run elsewhere in the tree) and the file's name."""
    from pathlib import Path

    if not document:
        return None, None
    path = Path(document)
    if not path.is_file():
        raise InputError(f"no file {document!r} to attach")
    return str(path.resolve()), path.name


async def announce(
    args: argparse.Namespace, settings: Settings, db: Any, roster: Any, clock: Any
) -> int:
    from bot.domain.models import Audience
    from bot.domain.notices import AnnouncementSpec, NoticeError, Notices

    fields = Fields(read_data_file(args.file) if args.file else {}, args.file)
    text = args.text or fields.text("text")
    document_path, document_name = _attachment(args.document or fields.text("document"))
    audience = Audience(
        teams=tuple(args.team),
        countries=tuple(c.upper() for c in args.country),
        members=tuple(args.member),
        roles=tuple("focal_point" if r.startswith("focal") else r for r in args.role),
        everyone=args.all,
        meeting=args.meeting,
    )
    spec = AnnouncementSpec(
        body=str(text),
        audience=audience,
        ref_locale=fields.text("language", default=args.language),
        translations=fields.texts_by_language("translations"),
        document_path=document_path,
        document_name=document_name,
        ack_required=args.ack or fields.flag("ack"),
        restricted=args.restricted or fields.flag("restricted"),
    )
    try:
        notice_id, total = await Notices(db, clock).announce(
            spec, created_by=None, progress_chat_id=None
        )
    except NoticeError as error:
        raise InputError(
            f"the announcement is not valid: {error.problem.value.replace('_', ' ')}"
            + (f" ({error.value})" if error.value else "")
        ) from None
    print(f"Announcement #{notice_id} queued for {total} recipient{'s' if total != 1 else ''}.")
    return 0


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


PARSERS: Parsers = {"announce": add_announce, "notice": add_notice}

COMMANDS: Commands = {
    ("announce", None): announce,
    ("notice", "resend"): resend,
}
