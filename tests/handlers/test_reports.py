"""The secretariat's view (handlers/reports.py): `/status` and `/export` of a meeting,
through the real Application, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from handlers.reports import NAMES_SHOWN
from tests.auxil.data import insert_member
from tests.auxil.harness import Harness
from tests.auxil.meetings import announce, invitation_of
from tests.auxil.meetings import file_bytes as _file_bytes
from tests.auxil.people import ADMIN, ANA, MARKO, delegation


async def test_status_and_both_exports(bot: Harness) -> None:
    ids = await delegation(bot)
    meeting = await announce(bot)
    await bot.press(ANA, f"rsvp:{await invitation_of(bot, meeting, ids['ana'])}:p")
    await bot.press(MARKO, f"rsvp:{await invitation_of(bot, meeting, ids['marko'])}:n")
    await bot.say(ADMIN, f"/status {meeting}")
    status = bot.last_text(ADMIN)
    assert "4 invited" in status and "No answer yet: 2" in status
    assert "Giorgi Beridze (GE)" in status and "Ana Petrović" not in status
    assert "4 sent" in status
    await bot.say(ADMIN, f"/export {meeting}")
    documents = bot.api.sent(ADMIN.id, "sendDocument")[-2:]
    raw_csv, raw_xlsx = (doc.params["document"] for doc in documents)
    text = _file_bytes(raw_csv).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["# Attendance"]
    assert rows[2][:2] == ["GE", "Giorgi Beridze"]  # by country, then name
    assert any(row[:2] == ["RS", "Ana Petrović"] and row[5] == "in person" for row in rows)
    workbook = load_workbook(io.BytesIO(_file_bytes(raw_xlsx)))
    assert workbook.sheetnames == ["Attendance", "Answers", "Delivery log"]
    log = list(workbook["Delivery log"].iter_rows(values_only=True))
    assert len(log) == 1 + 4 and {row[4] for row in log[1:]} == {"sent"}


async def test_status_of_a_large_meeting_reads_at_a_glance(bot: Harness) -> None:
    """However many are invited, /status stays within 3 messages: the counts per answer and
    per country, and the first names of who has not answered; /export has them all."""
    await delegation(bot)
    countries = ("AL", "BA", "ME", "MK", "RS", "XK")
    async with bot.services.db.transaction() as tx:
        for n in range(300):
            await insert_member(
                tx,
                700_000 + n,
                f"Delegate {n:03d}",
                countries[n % len(countries)],
                bot.clock.now(),
                locale="en",
                team_slug="criminal",
            )
    meeting = await announce(bot)
    before = len(bot.api.sent(ADMIN.id))
    await bot.say(ADMIN, f"/status {meeting}")
    replies = bot.replies(ADMIN)[before:]
    assert 1 <= len(replies) <= 3
    status = "\n".join(replies)
    assert "304 invited" in status
    assert "Bosnia &amp; Herzegovina: " in status  # the per-country line, as HTML
    assert sum(line.startswith("Delegate ") for line in status.splitlines()) == NAMES_SHOWN
    assert f"… and {304 - NAMES_SHOWN} more." in status
