"""Reading what the bot wrote: in a reader's language, as Telegram shows it, in the database."""

from __future__ import annotations

import sqlalchemy as sa

from bot.i18n import Translator
from tests.auxil.harness import Harness
from tests.auxil.telegram_rules import parse_html


def t(bot: Harness, locale: str) -> Translator:
    """The translator of `locale`, to write the expected texts with."""
    return bot.services.i18n.translator(locale)


def shown(text: str) -> str:
    """What the reader sees of a message sent with parse mode HTML (the fake has already
    refused anything Telegram would not parse)."""
    return parse_html(text).text


async def count(bot: Harness, table: sa.Table) -> int:
    """The number of rows in `table`."""
    async with bot.services.db.transaction() as tx:
        return int(
            (
                await tx.connection.execute(sa.select(sa.func.count()).select_from(table))
            ).scalar_one()
        )


async def actions(bot: Harness) -> list[str]:
    """The actions of the audit log, oldest first."""
    async with bot.services.db.transaction() as tx:
        return [e.action for e in await tx.audit.entries()]
