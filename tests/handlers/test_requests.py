"""Requests as members answer them (handlers/requests.py, request_cards.py): the card's
buttons, typed and filed answers, deadlines, the secretariat's status and lists; through the
real Application, with an injected clock and no sleeping, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, timedelta
from pathlib import Path

import pytest

from bot.config import Settings
from bot.domain.clock import FakeClock
from bot.domain.models import Audience
from bot.domain.request_models import AnswerKind, ResponseStatus
from bot.domain.requests import MAX_ANSWER, MAX_BODY, RequestError, RequestProblem
from handlers.common import LABEL_BUDGET, label_width
from tests.auxil.fake_bot_api import BOT_ID
from tests.auxil.harness import Harness, Person, callback_update, document_update, reply_update
from tests.auxil.people import (
    ADMIN,
    ANA,
    ELENA,
    GIORGI,
    LIDIJA,
    MARKO,
    add_member,
    delegation,
    focal_point,
)
from tests.auxil.reading import shown, t
from tests.auxil.requests import DEADLINE, create, planned, request_spec, sweep
from tests.auxil.telegram_rules import parse_html
from tests.conftest import ADMIN_ID

# -- answers -----------------------------------------------------------------------------------


async def test_text_answers_are_amended_until_the_deadline_then_refused(bot: Harness) -> None:
    await delegation(bot)
    request_id = await create(
        bot,
        title="Relevant provisions of national legislation",
        answer_kind=AnswerKind.TEXT,
        options=(),
        audience=Audience(countries=("RS",)),
    )
    reader = t(bot, "sr_Cyrl")
    assert bot.api.last(ANA.id).buttons == [
        (reader.gettext("Write the answer"), f"rq:{request_id}:t")
    ]
    await bot.press(ANA, f"rq:{request_id}:t")
    await bot.say(ANA, "Articles 83–85 of the Criminal Procedure Code.")
    assert reader.gettext(
        "Thank you: your answer to “{title}” is saved. You can change it until the deadline.",
        title="Relevant provisions of national legislation",
    ) in bot.replies(ANA)
    # Lidija (same delegation) amends it by replying to her card.
    card = bot.api.last(LIDIJA.id)
    await bot.feed(
        reply_update(LIDIJA, "Articles 83–86 of the Criminal Procedure Code.", _as_message(card))
    )
    response = await _response(bot, request_id, "country:RS")
    assert response.text == "Articles 83–86 of the Criminal Procedure Code."
    assert response.amendments == 1 and response.status is ResponseStatus.SUBMITTED
    # After the deadline: refused, with a clear message, and nothing changes.
    bot.clock.set(DEADLINE + timedelta(minutes=5))
    await bot.press(ANA, f"rq:{request_id}:t")
    refusal = reader.gettext(
        "The deadline has passed and this request no longer accepts answers. If you "
        "still need to answer, please write to the secretariat."
    )
    assert bot.alerts()[-1] == refusal
    await bot.feed(reply_update(ANA, "A late change", _as_message(card)))
    assert bot.last_text(ANA) == refusal
    assert (await _response(bot, request_id, "country:RS")).amendments == 1


async def test_late_answers_are_marked_late_where_accepted(bot: Harness) -> None:
    await delegation(bot)
    request_id = await create(bot, accept_late=True, audience=Audience(members=(1, 3)))
    bot.clock.set(DEADLINE + timedelta(days=1))
    await sweep(bot)  # escalated; the answer is still welcome
    await bot.press(ANA, f"rq:{request_id}:o:0")
    reader = t(bot, "sr_Cyrl")
    assert bot.alerts()[-1] == reader.gettext("Saved, after the deadline: it is marked late.")
    response = await _response(bot, request_id, "member:1")
    assert response.status is ResponseStatus.LATE
    await bot.press(ANA, f"rq:{request_id}:v")
    assert reader.gettext(
        "⌛ Answered late by {name}, {when}.",
        name="Ana Petrović",
        when=reader.datetime(bot.clock.now(), "Europe/Belgrade"),
    ) in bot.last_text(ANA)


async def test_documents_are_kept_and_downloaded(
    settings: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    bot = await Harness(replace(settings, files_dir=tmp_path / "files"), clock).start()
    try:
        await _documents(bot, tmp_path)
    finally:
        await bot.stop()


async def _documents(bot: Harness, tmp_path: Path) -> None:
    await delegation(bot)
    request_id = await create(
        bot,
        title="National legislation",
        answer_kind=AnswerKind.DOCUMENTS,
        options=(),
        audience=Audience(countries=("MK",)),
    )
    bot.api.files["f-law"] = b"%PDF law"
    bot.api.files["f-annex"] = b"%PDF annex"
    reader = t(bot, "mk")
    await bot.press(MARKO, f"rq:{request_id}:d")
    await bot.feed(document_update(MARKO, "f-law", "Закон за кривична постапка.pdf"))
    assert reader.gettext(
        "Thank you: your answer to “{title}” is saved. You can change it until the deadline.",
        title="National legislation",
    ) in bot.replies(MARKO)
    card = bot.api.last(MARKO.id)
    assert (
        reader.ngettext(
            "{n} document: {names}",
            "{n} documents: {names}",
            1,
            names="Закон за кривична постапка.pdf",
        )
        in card.text
    )
    # A second file, sent as a reply to the card, is added to the same answer.
    await bot.feed(document_update(MARKO, "f-annex", "annex.pdf", reply_to=_as_message(card)))
    response = await _response(bot, request_id, "country:MK")
    assert [f.file_name for f in response.files] == ["Закон за кривична постапка.pdf", "annex.pdf"]
    saved = [Path(f.path) for f in response.files if f.path]
    assert [p.read_bytes() for p in saved] == [b"%PDF law", b"%PDF annex"]
    assert all(p.is_relative_to(tmp_path / "files" / "requests" / str(request_id)) for p in saved)
    # Withdrawn: owed again (and reminded again).
    await bot.press(MARKO, f"rq:{request_id}:x")
    response = await _response(bot, request_id, "country:MK")
    assert response.owed and not response.files
    assert any(
        step.startswith("before:")
        for _, step, _, state in await planned(bot, request_id)
        if state == "planned"
    )
    # A plain file, with this the only documents request open for him, answers it.
    await bot.say(MARKO, "/start")
    bot.api.calls.clear()
    await bot.services.pending.clear(MARKO.id)
    await bot.feed(document_update(MARKO, "f-other", "other.pdf"))
    assert [f.file_name for f in (await _response(bot, request_id, "country:MK")).files] == [
        "other.pdf"
    ]
    # Once the request is withdrawn, a file sent with no request waiting for one is not
    # taken as an answer.
    await bot.services.requests.cancel(request_id, cancelled_by=ADMIN_ID)
    await bot.feed(document_update(MARKO, "f-late", "late.pdf"))
    assert [f.file_name for f in (await _response(bot, request_id, "country:MK")).files] == [
        "other.pdf"
    ]
    assert bot.last_text(MARKO) == reader.gettext(
        "I did not understand that. Use /help to see what I can do."
    )


async def test_forged_and_foreign_buttons_change_nothing(bot: Harness) -> None:
    await delegation(bot)
    request_id = await create(bot, audience=Audience(countries=("RS",)))
    await bot.press(MARKO, f"rq:{request_id}:o:0")  # not addressed to North Macedonia
    assert bot.alerts()[-1] == t(bot, "mk").gettext("This request is not addressed to you.")
    await bot.press(ANA, "rq:99999:o:0")
    assert bot.alerts()[-1] == t(bot, "sr_Cyrl").gettext("This request no longer exists.")
    await bot.press(ANA, f"rq:{request_id}:o:7")
    await bot.press(ANA, f"rq:{request_id}:zz")
    assert (await _response(bot, request_id, "country:RS")).owed
    await bot.press(ANA, f"rqs:{request_id}")  # the secretariat's status
    assert bot.alerts()[-1] == t(bot, "sr_Cyrl").gettext("You are not allowed to use this command.")
    await bot.say(ANA, "/plan")
    assert bot.last_text(ANA) == t(bot, "sr_Cyrl").gettext(
        "You are not allowed to use this command."
    )
    # A request withdrawn by the secretariat no longer takes answers.
    await bot.services.requests.cancel(request_id)
    await bot.press(ANA, f"rq:{request_id}:o:0")
    assert bot.alerts()[-1] == t(bot, "sr_Cyrl").gettext(
        "This request was withdrawn by the secretariat."
    )
    with pytest.raises(RequestError) as error:
        await bot.services.requests.create(
            request_spec(deadline=bot.clock.now() - timedelta(hours=1)), created_by=ADMIN_ID
        )
    assert error.value.problem is RequestProblem.DEADLINE_PAST


async def test_requests_lists_what_is_owed_in_the_members_time_zone(bot: Harness) -> None:
    await delegation(bot)
    request_id = await create(bot)
    await bot.say(GIORGI, "/requests")
    reader = t(bot, "ka")
    listing = bot.api.last(GIORGI.id)
    assert reader.datetime(DEADLINE, "Asia/Tbilisi") in listing.text
    assert listing.buttons[0][1] == f"rq:{request_id}:v"
    await bot.say(ADMIN, "/requests")
    assert f"rqs:{request_id}" in [data for _, data in bot.api.last(ADMIN.id).buttons]


# -- helpers -----------------------------------------------------------------------------------------


def _as_message(call: object) -> dict[str, object]:
    """A message the bot sent, as Telegram shows it inside a reply."""
    return {
        "message_id": 1,
        "date": 0,
        "chat": {"id": call.chat_id, "type": "private"},  # type: ignore[attr-defined]
        "from": {"id": BOT_ID, "is_bot": True, "first_name": "Convene"},
        "text": call.text,  # type: ignore[attr-defined]
        "reply_markup": call.params.get("reply_markup"),  # type: ignore[attr-defined]
    }


async def _response(bot: Harness, request_id: int, party: str):  # type: ignore[no-untyped-def]
    async with bot.services.db.transaction() as tx:
        for response in await tx.responses.of_requests([request_id]):
            if response.party == party:
                return response
    raise AssertionError(party)


# -- names with "&" and "<": every view reaches Telegram and reads them once -------------------


EMIR = Person(603, "Emir", "Hodžić", "en")  # Sarajevo; reads English


ADNAN = Person(604, "Adnan", "Begić", "en")  # focal point for Bosnia and Herzegovina


async def test_a_request_to_bosnia_and_herzegovina_reads_right_in_every_view(
    bot: Harness,
) -> None:
    await bot.services.roster.create_team("Police & Justice", "police")
    await bot.say(ADMIN, "/start")
    await add_member(bot, ANA, "RS", "sr_Cyrl", "Europe/Belgrade", team="police")
    await add_member(bot, EMIR, "BA", "en", "Europe/Sarajevo", team="police")
    await focal_point(bot, ADNAN, "BA", "en")
    bosnia = t(bot, "en").country("BA")
    assert bosnia == "Bosnia & Herzegovina"
    request_id = await create(
        bot,
        title="MLA & extradition",
        body="Cases <2025> & practice",
        audience=Audience(countries=("BA", "RS")),
        answer_kind=AnswerKind.TEXT,
        options=(),
        reminder_offsets=(),
    )
    card = shown(bot.last_text(EMIR))
    assert "MLA & extradition" in card and "Cases <2025> & practice" in card
    assert f"One answer for {bosnia}" in card and "&amp;" not in card
    await bot.press(ANA, f"rq:{request_id}:t")
    await bot.say(ANA, "12 sent & 9 received <2026>")

    # The deadline passes: Bosnia and Herzegovina never answered.
    bot.clock.set(DEADLINE + timedelta(minutes=1))
    await sweep(bot)
    escalation = shown(bot.last_text(ADNAN))
    assert "“MLA & extradition”" in escalation and f"• {bosnia}" in escalation
    digest = shown(bot.last_text(ADMIN))
    assert f"#{request_id} “MLA & extradition”" in digest
    assert f"{bosnia}: {bosnia}" in digest and "&amp;" not in digest
    await bot.press(ADMIN, f"rqs:{request_id}")
    status = shown(bot.last_text(ADMIN))
    assert f"Request #{request_id}: MLA & extradition" in status
    assert f"{bosnia} · 1 member may answer" in status
    assert "Serbia: Ana Petrović" in status and "12 sent & 9 received <2026>" in status
    assert "&amp;" not in status


async def test_the_longest_request_and_answer_still_reach_the_member(bot: Harness) -> None:
    await delegation(bot)
    request_id = await create(
        bot,
        title="MLA & extradition " * 16,
        body="Statistics <2025> & trends. " * (MAX_BODY // 28),
        audience=Audience(countries=("RS",)),
        answer_kind=AnswerKind.TEXT,
        options=(),
    )
    card = bot.last_text(ANA)  # the fake refuses a card that does not fit: the test would fail
    assert "Statistics <2025> & trends." in shown(card)
    await bot.press(ANA, f"rq:{request_id}:t")
    answer = "12 sent & 9 received <2026>. " * (MAX_ANSWER // 30)
    await bot.say(ANA, answer)
    await bot.press(ANA, f"rq:{request_id}:v")
    card = shown(bot.last_text(ANA))
    assert parse_html(bot.last_text(ANA)).length <= 4096
    assert "Statistics <2025> & trends." in card and "12 sent & 9 received <2026>." in card
    assert "…" in card  # shortened, where it would not fit
    # The secretariat's status shows the whole answer, over as many messages as it takes.
    await bot.press(ADMIN, f"rqs:{request_id}")
    assert shown(bot.last_text(ADMIN)).count("12 sent & 9 received <2026>.") == MAX_ANSWER // 30


def experts(text: str) -> set[int]:
    return {int(n) for n in re.findall(r"Expert(\d+) Hodžić & Sons \(RS\)", text)}


async def test_long_lists_reach_the_secretariat_over_several_messages(bot: Harness) -> None:
    await delegation(bot)
    await focal_point(bot, ELENA, "RS", "en")
    for index in range(180):  # a large delegation, none of whom answers
        await add_member(
            bot, Person(800 + index, f"Expert{index}", "Hodžić & Sons", "en"), "RS", "en", "UTC"
        )
    request_id = await create(
        bot, audience=Audience(teams=("criminal",)), reminder_offsets=(), options=("Yes", "No")
    )
    bot.clock.set(DEADLINE + timedelta(minutes=1))
    await sweep(bot)
    await bot.deliver()  # the parts of a long escalation go out a second apart
    # The digest: the heading, then the names as far as one message holds them; the
    # Status button under the last part has them all.
    digest = bot.api.sent(ADMIN.id)[-2:]
    assert "Deadline passed" in digest[0].text and not digest[0].buttons
    assert digest[1].buttons == [("Status", f"rqs:{request_id}")]
    assert "Hodžić & Sons (RS), Expert" in shown(digest[1].text)
    before = len(bot.api.sent(ADMIN.id))
    await bot.press(ADMIN, f"rqs:{request_id}")
    status = [shown(c.text) for c in bot.api.sent(ADMIN.id)[before:]]
    assert len(status) == 2 and experts("\n".join(status)) == set(range(180))
    # The focal point is told of every one of them, over several messages.
    escalation = [shown(c.text) for c in bot.api.sent(ELENA.id)]
    assert len(escalation) == 2 and experts("\n".join(escalation)) == set(range(180))
    for index in range(14):
        await create(
            bot,
            title=f"Statistics & trends, part {index} " + "x" * 250,
            deadline=(DEADLINE + timedelta(days=30)).astimezone(UTC),
            audience=Audience(countries=("GE",)),
        )
    await bot.say(ADMIN, "/requests")
    listing = bot.api.sent(ADMIN.id)[-2:]
    assert "part 0" in shown(listing[0].text) and "part 13" in shown(listing[1].text)
    assert len(listing[1].buttons) == 15 and not listing[0].buttons


# -- answers given the way members give them -------------------------------------------------

EMINA = Person(605, "Emina", "Hadžić", "bs")  # Sarajevo: "Bosnia & Herzegovina"


async def _bosnian(bot: Harness) -> None:
    await delegation(bot)
    await add_member(bot, EMINA, "BA", "bs", "Europe/Sarajevo")


def _file_choice(person: Person, data: str, file_message: dict[str, object]) -> dict[str, object]:
    """A press on a button of the bot's question that quotes the member's file."""
    raw = callback_update(person, data)
    question = raw["callback_query"]["message"]
    question["from"] = {"id": BOT_ID, "is_bot": True, "first_name": "Convene"}
    question["reply_to_message"] = file_message
    return raw


async def test_a_plain_file_answers_the_one_documents_request_open_and_several_ask_which(
    bot: Harness,
) -> None:
    await _bosnian(bot)
    laws = await create(
        bot,
        title="National legislation on extradition",
        answer_kind=AnswerKind.DOCUMENTS,
        options=(),
        audience=Audience(countries=("BA",)),
    )
    reader = t(bot, "bs")
    card = bot.api.last(EMINA.id)
    assert (
        reader.gettext("Send the documents here as files, or reply to this message with them.")
        in card.text
    )
    # She does exactly that: a PDF, not a reply, no button pressed first.
    before = len(bot.api.sent(EMINA.id))
    await bot.feed(document_update(EMINA, "f-zakon", "Zakon o krivičnom postupku BiH.pdf"))
    response = await _response(bot, laws, "country:BA")
    assert [f.file_name for f in response.files] == ["Zakon o krivičnom postupku BiH.pdf"]
    assert response.status is ResponseStatus.SUBMITTED
    replies = bot.replies(EMINA)[before:]
    assert replies[0] == reader.gettext(
        "Thank you: your answer to “{title}” is saved. You can change it until the deadline.",
        title="National legislation on extradition",
    )
    assert reader.gettext("I did not understand that. Use /help to see what I can do.") not in (
        replies
    )

    # A second documents request: now a file could be for either, so she is asked.
    statistics = await create(
        bot,
        title="Statistics on mutual legal assistance 2026",
        answer_kind=AnswerKind.DOCUMENTS,
        options=(),
        audience=Audience(countries=("BA",)),
    )
    sent = document_update(EMINA, "f-stat", "MLA statistics 2026.xlsx")
    await bot.feed(sent)
    question = bot.api.last(EMINA.id)
    assert question.text == reader.gettext("For which request is this file?")
    assert [data for _, data in question.buttons] == [f"rqf:{laws}", f"rqf:{statistics}"]
    # Each title whole, or shortened with "…" where a phone would cut it.
    assert [label for label, _ in question.buttons] == [
        "National legislation on extradition",
        "Statistics on mutual legal assistance…",
    ]
    assert all(label_width(label) <= LABEL_BUDGET[1] for label, _ in question.buttons)
    assert question.params["reply_parameters"]["message_id"] == sent["message"]["message_id"]
    assert not (await _response(bot, statistics, "country:BA")).files  # nothing yet
    await bot.feed(_file_choice(EMINA, f"rqf:{statistics}", sent["message"]))
    assert bot.alerts()[-1] == reader.gettext("Saved. You can change it until the deadline.")
    assert [f.file_name for f in (await _response(bot, statistics, "country:BA")).files] == [
        "MLA statistics 2026.xlsx"
    ]
    # A double tap adds nothing; the first request kept only its own file.
    await bot.feed(_file_choice(EMINA, f"rqf:{statistics}", sent["message"]))
    assert bot.alerts()[-1] == reader.gettext("Your answer is unchanged.")
    assert len((await _response(bot, statistics, "country:BA")).files) == 1
    assert len((await _response(bot, laws, "country:BA")).files) == 1
    # A button under someone else's file, or forged with a huge number, takes nothing.
    foreign = document_update(ANA, "f-ana", "ana.pdf")["message"]
    await bot.feed(_file_choice(EMINA, f"rqf:{laws}", foreign))
    assert bot.alerts()[-1] == reader.gettext("This button is no longer valid.")
    await bot.feed(_file_choice(EMINA, "rqf:999999999999", sent["message"]))
    assert bot.alerts()[-1] == reader.gettext("This button is no longer valid.")
    # A question too old for Telegram to show (an "inaccessible" message): nothing to take.
    old = callback_update(EMINA, f"rqf:{laws}")
    old["callback_query"]["message"] = {"chat": EMINA.as_chat(), "message_id": 5, "date": 0}
    await bot.feed(old)
    assert bot.alerts()[-1] == reader.gettext("This button is no longer valid.")
    assert len((await _response(bot, laws, "country:BA")).files) == 1


async def test_another_kind_of_answer_is_told_what_the_request_expects(bot: Harness) -> None:
    await _bosnian(bot)
    text_request = await create(
        bot,
        title="Contact point for extradition",
        answer_kind=AnswerKind.TEXT,
        options=(),
        audience=Audience(countries=("BA",)),
    )
    reader = t(bot, "bs")
    expects_text = reader.gettext(
        "This request expects a written answer: press “Write the answer” on its card and "
        "type it, or reply to the card with your text."
    )
    card = bot.api.last(EMINA.id)
    # A file in reply to a text request's card: told what it expects, nothing else.
    before = len(bot.api.sent(EMINA.id))
    await bot.feed(document_update(EMINA, "f-cv", "CV.pdf", reply_to=_as_message(card)))
    assert bot.replies(EMINA)[before:] == [expects_text]
    # A choice button forged onto the text request: the same, as an alert.
    await bot.press(EMINA, f"rq:{text_request}:o:0")
    assert bot.alerts()[-1] == expects_text
    # "Write the answer", then a file by mistake: told, and the request still waits.
    await bot.press(EMINA, f"rq:{text_request}:t")
    before = len(bot.api.sent(EMINA.id))
    await bot.feed(document_update(EMINA, "f-cv2", "CV.pdf"))
    assert bot.replies(EMINA)[before:] == [expects_text]
    await bot.say(EMINA, "Amra Kovačević, Ministry of Justice of Bosnia & Herzegovina")
    response = await _response(bot, text_request, "country:BA")
    assert response.text == "Amra Kovačević, Ministry of Justice of Bosnia & Herzegovina"

    documents = await create(
        bot,
        title="Copies of the bilateral treaties",
        answer_kind=AnswerKind.DOCUMENTS,
        options=(),
        audience=Audience(countries=("BA",)),
    )
    await bot.press(EMINA, f"rq:{documents}:d")
    before = len(bot.api.sent(EMINA.id))
    await bot.say(EMINA, "I will send them tomorrow")
    assert bot.replies(EMINA)[before:] == [
        reader.gettext("This request expects documents: send them here as files.")
    ]
    await bot.feed(document_update(EMINA, "f-treaty", "Ugovor BiH–Hrvatska.pdf"))
    assert [f.file_name for f in (await _response(bot, documents, "country:BA")).files] == [
        "Ugovor BiH–Hrvatska.pdf"
    ]
    # Nobody was told "something went wrong" or "I did not understand".
    for text in bot.replies(EMINA):
        assert "went wrong" not in text
        assert text != reader.gettext("I did not understand that. Use /help to see what I can do.")


async def test_nul_bytes_and_long_file_names_are_kept_as_both_databases_can(
    bot: Harness,
) -> None:
    await _bosnian(bot)
    text_request = await create(
        bot, answer_kind=AnswerKind.TEXT, options=(), audience=Audience(countries=("BA",))
    )
    await bot.press(EMINA, f"rq:{text_request}:t")
    await bot.say(EMINA, "Article 5\x00 of the Law")
    assert (await _response(bot, text_request, "country:BA")).text == "Article 5 of the Law"
    documents = await create(
        bot,
        title="Legislation",
        answer_kind=AnswerKind.DOCUMENTS,
        options=(),
        audience=Audience(countries=("BA",)),
    )
    long_name = "Zakon\x00 o " + "međunarodnoj pravnoj pomoći u krivičnim stvarima " * 8 + ".pdf"
    await bot.feed(document_update(EMINA, "f-long", long_name))
    (saved,) = (await _response(bot, documents, "country:BA")).files
    assert saved.file_name is not None
    assert 250 <= len(saved.file_name) <= 255 and saved.file_name.endswith("….pdf")
    assert saved.file_name.startswith("Zakon o međunarodnoj") and "\x00" not in saved.file_name


async def test_a_card_pressed_after_its_deadline_loses_its_buttons(bot: Harness) -> None:
    await _bosnian(bot)
    request_id = await create(bot, audience=Audience(countries=("BA",)))
    bot.clock.set(DEADLINE + timedelta(hours=1))
    edits = len(bot.api.of("editMessageText"))
    await bot.press(EMINA, f"rq:{request_id}:o:1")
    reader = t(bot, "bs")
    assert bot.alerts()[-1] == reader.gettext(
        "The deadline has passed and this request no longer accepts answers. If you "
        "still need to answer, please write to the secretariat."
    )
    (redrawn,) = bot.api.of("editMessageText")[edits:]
    assert redrawn.buttons == []
    assert reader.gettext("⚠️ Overdue. Answers are no longer accepted.") in redrawn.text
    assert (await _response(bot, request_id, "country:BA")).owed


async def test_a_card_of_a_withdrawn_request_loses_its_buttons_the_list_keeps_them(
    bot: Harness,
) -> None:
    await _bosnian(bot)
    request_id = await create(bot, audience=Audience(countries=("BA",)))
    await bot.services.requests.cancel(request_id, cancelled_by=ADMIN_ID)
    withdrawn = t(bot, "bs").gettext("This request was withdrawn by the secretariat.")
    edits = len(bot.api.of("editMessageReplyMarkup"))
    await bot.press(EMINA, f"rq:{request_id}:v")  # from the /requests list: the list stays
    assert bot.alerts()[-1] == withdrawn
    assert len(bot.api.of("editMessageReplyMarkup")) == edits
    await bot.press(EMINA, f"rq:{request_id}:o:0")  # on the card: its buttons go
    assert bot.alerts()[-1] == withdrawn
    (stripped,) = bot.api.of("editMessageReplyMarkup")[edits:]
    assert stripped.buttons == [] and stripped.chat_id == EMINA.id
    assert (await _response(bot, request_id, "country:BA")).owed
