"""The Bot API fakes refuse what Telegram refuses: the rules, and the fake that applies them."""

from __future__ import annotations

import json

import pytest
from telegram import Bot
from telegram.error import BadRequest

from handlers.common import split_message
from tests.auxil import telegram_rules
from tests.auxil.fake_bot_api import TOKEN, FakeBotApi, RecordingRequest
from tests.auxil.telegram_rules import MarkupError, parse_html, problem

VALID = [
    ("plain text", "plain text"),
    ("<b>bold</b> <strong>strong</strong>", "bold strong"),
    ("<i>i</i><em>em</em><u>u</u><ins>ins</ins>", "iemuins"),
    ("<s>s</s><strike>strike</strike><del>del</del>", "sstrikedel"),
    ('<span class="tg-spoiler">hidden</span> <tg-spoiler>too</tg-spoiler>', "hidden too"),
    ('<a href="https://example.org/?a=1&amp;b=2">link</a>', "link"),
    ("<a href='tg://user?id=123'>Ana</a>", "Ana"),
    ("<code>x &lt; y</code>", "x < y"),
    ('<pre><code class="language-python">print("&gt;")</code></pre>', 'print(">")'),
    ("<blockquote>quoted</blockquote>", "quoted"),
    ("<blockquote expandable>long</blockquote>", "long"),
    ('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', "👍"),
    ("<B>upper case tags</B>", "upper case tags"),
    ("<b>nested <i>and <u>deep</u></i></b>", "nested and deep"),
    ("<b>closed by </>", "closed by "),
    ("Bosnia &amp; Herzegovina", "Bosnia & Herzegovina"),
    ("&lt;b&gt; &quot;quoted&quot;", '<b> "quoted"'),
    ("&#169; &#xA9; &#x1F600;", "© © 😀"),
    ("MLA &amp;amp; extradition", "MLA &amp; extradition"),  # escaped twice: shown so
    ("a\nb", "a\nb"),
]

INVALID = [
    ("Bosnia & Herzegovina", 'Character "&" at byte offset 7'),
    ("R&D", 'Character "&"'),
    ("&nbsp;", 'Character "&"'),  # not one of the four named entities the Bot API knows
    ("&#0;", 'Character "&"'),
    ("&amp", 'Character "&"'),  # the documented form ends with ";"
    ("2 > 1", 'Character ">"'),
    ("2 < 3", 'Unsupported start tag "" at byte offset 2'),
    ("Ana <Police>", 'Unsupported start tag "police"'),
    ("<br>", 'Unsupported start tag "br"'),
    ("<p>paragraph</p>", 'Unsupported start tag "p"'),
    ("<b>open", 'Can\'t find end tag corresponding to start tag "b"'),
    ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
    ("x</b>", "Unexpected end tag at byte offset 1"),
    ("<b", "Unclosed start tag at byte offset 0"),
    ("<b>x</b", "Unclosed end tag"),
    ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
    ('<span class="red">x</span>', 'Tag "span" must have class "tg-spoiler"'),
    ("<tg-emoji>👍</tg-emoji>", "Custom emoji entity"),
    ('<a href="x" title>y</a>', "Expected equal sign"),
    ('<a href="x>y</a>', "Unclosed start tag"),
    ('<a href="R&D">y</a>', 'Character "&"'),
    ("Ă<b>š", "Can't find end tag"),
]


@pytest.mark.parametrize(("text", "visible"), VALID)
def test_valid_html_is_parsed_to_what_the_reader_sees(text: str, visible: str) -> None:
    assert parse_html(text).text == visible


@pytest.mark.parametrize(("text", "message"), INVALID)
def test_invalid_html_is_refused_as_telegram_words_it(text: str, message: str) -> None:
    with pytest.raises(MarkupError) as error:
        parse_html(text)
    assert message in str(error.value)


def test_byte_offsets_count_utf8_bytes_as_telegram_does() -> None:
    with pytest.raises(MarkupError, match="byte offset 7"):
        parse_html("Šđč & x")  # Š, đ and č are two bytes each
    with pytest.raises(MarkupError, match="byte offset 5"):
        parse_html("Ćao <p>")


def test_a_call_gets_telegrams_description() -> None:
    html = {"chat_id": 1, "parse_mode": "HTML"}
    assert problem("sendMessage", {**html, "text": "<b>Ana</b>"}) is None
    assert problem("sendMessage", {**html, "text": "Bosnia & Herzegovina"}) == (
        'Bad Request: can\'t parse entities: Character "&" at byte offset 7 is not part of '
        "an entity: it must be escaped as &amp;"
    )
    # Without a parse mode the text is plain: nothing to parse.
    assert problem("sendMessage", {"chat_id": 1, "text": "Bosnia & Herzegovina"}) is None
    # Explicit entities: the text is plain, whatever the parse mode says.
    entities = [{"type": "bold", "offset": 0, "length": 1}]
    assert problem("sendMessage", {**html, "text": "a & b", "entities": entities}) is None
    assert problem("editMessageText", {**html, "text": "<b>x"}) is not None
    assert problem("sendDocument", {**html, "caption": "a & b"}) is not None
    assert problem("editMessageCaption", {**html, "caption": "<i>x"}) is not None
    assert problem("sendPhoto", {**html, "caption": "<p>"}) is not None
    assert problem("sendDocument", {**html}) is None  # no caption at all
    assert problem("sendMessage", {"chat_id": 1, "text": "x", "parse_mode": "HTML5"}) == (
        "Bad Request: unsupported parse_mode"
    )
    # A parse mode the rules do not implement is refused loudly, not waved through.
    for mode in ("Markdown", "MarkdownV2"):
        found = problem("sendMessage", {"chat_id": 1, "text": "*x*", "parse_mode": mode})
        assert found is not None and "does not implement" in found


def test_length_limits_count_the_visible_text_in_utf16() -> None:
    html = {"chat_id": 1, "parse_mode": "HTML"}
    assert problem("sendMessage", {**html, "text": "x" * 4096}) is None
    assert problem("sendMessage", {**html, "text": "x" * 4097}) == (
        "Bad Request: message is too long"
    )
    # Markup and entities do not count; what they stand for does.
    assert problem("sendMessage", {**html, "text": "<b>" + "&amp;" * 4096 + "</b>"}) is None
    assert problem("sendMessage", {**html, "text": "&amp;" * 4097}) is not None
    # An emoji outside the BMP is two UTF-16 code units.
    assert problem("sendMessage", {**html, "text": "😀" * 2048}) is None
    assert problem("sendMessage", {**html, "text": "😀" * 2048 + "x"}) is not None
    assert problem("editMessageText", {**html, "text": "y" * 4097}) is not None
    assert problem("sendDocument", {**html, "caption": "c" * 1024}) is None
    assert problem("sendDocument", {**html, "caption": "c" * 1025}) == (
        "Bad Request: message caption is too long"
    )
    empty = "Bad Request: message text is empty"
    assert problem("sendMessage", {**html, "text": ""}) == empty
    assert problem("sendMessage", {**html, "text": "  \n "}) == empty
    assert problem("sendMessage", {**html, "text": "<b></b>"}) == empty
    assert problem("sendMessage", {"chat_id": 1}) == empty
    assert problem("answerCallbackQuery", {"callback_query_id": "1", "text": "a" * 200}) is None
    assert problem("answerCallbackQuery", {"callback_query_id": "1", "text": "a" * 201}) == (
        "Bad Request: MESSAGE_TOO_LONG"
    )


def test_buttons_and_deep_links() -> None:
    def keyboard(**button: str) -> dict[str, object]:
        return {"inline_keyboard": [[{"text": "Press", **button}]]}

    def send(markup: object, text: str = "x") -> str | None:
        return problem("sendMessage", {"chat_id": 1, "text": text, "reply_markup": markup})

    assert send(keyboard(callback_data="rsvp:1:p")) is None
    assert send(keyboard(callback_data="é" * 32)) is None  # 64 bytes
    assert send(keyboard(callback_data="é" * 32 + "x")) == "Bad Request: BUTTON_DATA_INVALID"
    assert send(keyboard(callback_data="")) == "Bad Request: BUTTON_DATA_INVALID"
    assert send(json.dumps(keyboard(callback_data="x" * 65))) == (
        "Bad Request: BUTTON_DATA_INVALID"  # as PTB sends it: a JSON string
    )
    assert "Text buttons are unallowed" in (send(keyboard()) or "")
    assert (
        problem(
            "editMessageReplyMarkup",
            {"chat_id": 1, "message_id": 2, "reply_markup": keyboard(callback_data="y" * 65)},
        )
        == "Bad Request: BUTTON_DATA_INVALID"
    )
    # Deep links: 1-64 characters of A-Za-z0-9_-, in a URL button, a text or a link.
    good = "https://t.me/convene_test_bot?start=" + "aZ09_-" * 10
    assert send(keyboard(url=good)) is None
    assert send(None, f"Your link: {good}.") is None  # a full stop ends the sentence
    assert send(keyboard(url=good + "abcde")) is not None  # 65 characters
    assert send(keyboard(url="https://t.me/convene_test_bot?start=a.b")) is not None
    assert send(None, "t.me/convene_test_bot?start=with%20space") is not None
    link = '<a href="https://t.me/convene_test_bot?start=a+b">join</a>'
    assert problem("sendMessage", {"chat_id": 1, "text": link, "parse_mode": "HTML"})


async def test_the_fake_answers_a_refused_call_as_telegram_does() -> None:
    api = FakeBotApi()
    bot = Bot(TOKEN, request=RecordingRequest(api))
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(1, "Bosnia & Herzegovina", parse_mode="HTML")
    assert [c.method for c in api.refused] == ["sendMessage"]
    assert api.calls == []  # a refused call is no message
    await bot.send_message(1, "Bosnia &amp; Herzegovina", parse_mode="HTML")
    assert len(api.calls) == 1
    # The conftest fails a test that leaves a refusal behind; this one meant it.
    assert telegram_rules.take_refusals() == [
        (
            "sendMessage",
            'Bad Request: can\'t parse entities: Character "&" at byte offset 7 is not part '
            "of an entity: it must be escaped as &amp;",
        )
    ]


def test_split_message_counts_what_telegram_counts_and_never_cuts_markup() -> None:
    lines = ["<b>MLA &amp; extradition</b>", "&lt;x&gt; &amp; y " * 500, *["Bosnia"] * 600]
    parts = split_message(lines)
    assert len(parts) > 1
    for part in parts:
        assert parse_html(part).length <= 4096  # each one accepted
    assert parse_html(parts[0]).text.startswith("MLA & extradition\n<x> & y")
    # Markup does not count: 4,000 escaped characters fit in one message.
    assert len(split_message(["&amp;" * 4000])) == 1
