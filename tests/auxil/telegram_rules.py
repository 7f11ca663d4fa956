"""What Telegram refuses, for the Bot API fakes: markup, lengths, button data, deep links.

Both fakes (tests/auxil/fake_bot_api.py and bench/limited_bot_api.py) ask `refusal()`
about every call before answering it, and answer a refused call as Telegram does:
HTTP 400 with `{"ok": false, "error_code": 400, "description": "Bad Request: ..."}`.

The HTML parse mode follows Telegram's own parser (tdlib's `parse_html`, which the Bot API
server runs) for tags, attributes and entities, with one deliberate difference: the Bot API
documentation says "All <, > and & symbols that are not a part of a tag or an HTML entity
must be replaced with the corresponding HTML entities", and this parser holds the code to
that. Telegram itself shows a stray "&" or ">" literally; a stray "<" it refuses. A value
that reaches HTML unescaped is a fault either way: the day it contains "<" (or "&lt;") the
message is refused (or shows something else), so the fake refuses it the first time.

Lengths are counted as Telegram counts them: in UTF-16 code units of the text after the
markup is parsed. Deep links (t.me/<bot>?start=<payload>) with a payload that is not 1-64
characters of A-Za-z0-9_- are refused too; Telegram would send the message, but the
payload would never reach the bot (the app opens the bot without it), so a test must see
it fail.

Only the HTML parse mode is implemented (the app sends nothing else); any other parse mode
is refused with a description that says so, so that a change of mode is noticed at once.

Every refusal is also remembered in `REFUSALS`; the test suite's conftest fails a test that
leaves one behind, so a refused message cannot pass unnoticed (take them with
`take_refusals()` in a test that means to provoke one).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

MAX_TEXT = 4096  # sendMessage, editMessageText: 1-4096 characters after entities parsing
MAX_CAPTION = 1024  # captions: 0-1024 characters after entities parsing
MAX_CALLBACK_DATA = 64  # bytes
MAX_CALLBACK_ANSWER = 200  # answerCallbackQuery text: 0-200 characters
MAX_START_PAYLOAD = 64

# Tags of the HTML style (https://core.telegram.org/bots/api#html-style).
HTML_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
    }
)
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
# Methods whose text or caption Telegram parses, and which limit applies.
TEXT_METHODS = frozenset({"sendMessage", "editMessageText"})
CAPTION_METHODS = frozenset(
    {
        "sendDocument",
        "sendPhoto",
        "sendVideo",
        "sendAudio",
        "sendVoice",
        "sendAnimation",
        "editMessageCaption",
        "copyMessage",
    }
)
# tdlib's is_space: what ends a tag name or an attribute.
_SPACE = frozenset(" \t\r\n\v\f\0")
_START_LINK = re.compile(
    r"(?:https?://)?(?:t|telegram)\.me/[A-Za-z0-9_]+\?start=([^\s&#\"'<>]*)", re.IGNORECASE
)
_ENTITY = re.compile(r"&(?:#[xX]([0-9a-fA-F]{1,7})|#([0-9]{1,7})|([A-Za-z]+));")
_START_PAYLOAD = re.compile(rf"[A-Za-z0-9_-]{{1,{MAX_START_PAYLOAD}}}")

REFUSALS: list[tuple[str, str]] = []  # (method, description) of every refusal, in order


class MarkupError(ValueError):
    """Text that Telegram's HTML parser refuses; the message is Telegram's wording."""


class UnsupportedParseMode(ValueError):
    """A parse mode Telegram does not know."""


@dataclass(frozen=True)
class Parsed:
    """The visible text of a message after its markup is parsed, and its hrefs."""

    text: str
    links: tuple[str, ...] = ()

    @property
    def length(self) -> int:
        """Telegram's length: UTF-16 code units."""
        return utf16_length(self.text)


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _entity_at(text: str, i: int) -> tuple[str, int] | None:
    """The character an entity at text[i] ("&") stands for, and the index after it.

    Named entities are lt, gt, amp, quot; numeric ones &#NN; and &#xHH; (not 0, below
    U+10FFFF, as tdlib). The closing ";" is required: the documented form.
    """
    match = _ENTITY.match(text, i)
    if match is None:
        return None
    hexa, decimal, name = match.groups()
    if name is not None:
        char = NAMED_ENTITIES.get(name)
        return (char, match.end()) if char is not None else None
    code = int(hexa, 16) if hexa is not None else int(decimal)
    if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), match.end()


def parse_html(text: str) -> Parsed:
    """The visible text of `text` in parse mode HTML; MarkupError where Telegram refuses it."""
    out: list[str] = []
    links: list[str] = []
    # Open tags: (name, href or None, index in `out` where the tag's content starts).
    stack: list[tuple[str, str | None, int]] = []
    n = len(text)

    def at(k: int) -> str:
        return text[k] if k < n else "\0"

    i = 0
    while i < n:
        ch = text[i]
        if ch == "&":
            entity = _entity_at(text, i)
            if entity is None:
                raise MarkupError(
                    f'Character "&" at byte offset {_byte_offset(text, i)} is not part of an '
                    "entity: it must be escaped as &amp;"
                )
            out.append(entity[0])
            i = entity[1]
            continue
        if ch == ">":
            raise MarkupError(
                f'Character ">" at byte offset {_byte_offset(text, i)} is not part of a tag: '
                "it must be escaped as &gt;"
            )
        if ch != "<":
            out.append(ch)
            i += 1
            continue

        begin = i
        offset = _byte_offset(text, begin)
        i += 1
        if at(i) != "/":
            while at(i) not in _SPACE and at(i) != ">":
                i += 1
            if i >= n:
                raise MarkupError(f"Unclosed start tag at byte offset {offset}")
            name = text[begin + 1 : i].lower()
            if name not in HTML_TAGS:
                raise MarkupError(f'Unsupported start tag "{name}" at byte offset {offset}')
            attributes: dict[str, str] = {}
            while at(i) != ">":
                while i < n and at(i) in _SPACE:
                    i += 1
                if at(i) == ">":
                    break
                attribute_begin = i
                while at(i) not in _SPACE and at(i) != "=" and at(i) != ">":
                    i += 1
                attribute = text[attribute_begin:i].lower()
                if not attribute:
                    raise MarkupError(
                        f'Empty attribute name in the tag "{name}" at byte offset {offset}'
                    )
                while i < n and at(i) in _SPACE:
                    i += 1
                if at(i) != "=":
                    if name == "blockquote" and attribute == "expandable":
                        attributes[attribute] = ""
                        continue
                    raise MarkupError(
                        "Expected equal sign in declaration of an attribute of the tag "
                        f'"{name}" at byte offset {offset}'
                    )
                i += 1
                while i < n and at(i) in _SPACE:
                    i += 1
                if i >= n:
                    raise MarkupError(f'Unclosed start tag "{name}" at byte offset {offset}')
                if at(i) not in "'\"":
                    # A name token: letters, digits, periods, hyphens.
                    token_begin = i
                    while at(i).isascii() and (at(i).isalnum() or at(i) in ".-"):
                        i += 1
                    value = text[token_begin:i].lower()
                    if at(i) not in _SPACE and at(i) != ">":
                        raise MarkupError(
                            "Unexpected end of name token at byte offset "
                            f"{_byte_offset(text, token_begin)}"
                        )
                else:
                    quote = at(i)
                    i += 1
                    chars: list[str] = []
                    while i < n and at(i) != quote:
                        if at(i) == "&":
                            entity = _entity_at(text, i)
                            if entity is None:
                                raise MarkupError(
                                    f'Character "&" at byte offset {_byte_offset(text, i)} is '
                                    "not part of an entity: it must be escaped as &amp;"
                                )
                            chars.append(entity[0])
                            i = entity[1]
                            continue
                        chars.append(at(i))
                        i += 1
                    if i >= n:
                        raise MarkupError(f"Unclosed start tag at byte offset {offset}")
                    i += 1
                    value = "".join(chars)
                attributes[attribute] = value
            if name == "span" and attributes.get("class") != "tg-spoiler":
                raise MarkupError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {offset}'
                )
            if name == "tg-emoji" and not attributes.get("emoji-id", "").isdigit():
                raise MarkupError(
                    f"Custom emoji entity must contain a tg://emoji URL at byte offset {offset}"
                )
            href = attributes.get("href", "") if name == "a" else None
            stack.append((name, href, len(out)))
            i += 1  # the ">"
            continue

        # An end tag.
        if not stack:
            raise MarkupError(f"Unexpected end tag at byte offset {offset}")
        i += 1
        name_begin = i
        while at(i) not in _SPACE and at(i) != ">":
            i += 1
        end_name = text[name_begin:i].lower()
        while i < n and at(i) in _SPACE:
            i += 1
        if at(i) != ">":
            raise MarkupError(f"Unclosed end tag at byte offset {offset}")
        open_name, href, content_start = stack.pop()
        if end_name and end_name != open_name:
            raise MarkupError(
                f'Unmatched end tag at byte offset {offset}, expected "</{open_name}>", '
                f'found "</{end_name}>"'
            )
        if href is not None:
            # <a> without href links its own text, as tdlib does.
            links.append(href or "".join(out[content_start:]))
        i += 1
    if stack:
        raise MarkupError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return Parsed("".join(out), tuple(links))


def parse(text: str, parse_mode: Any) -> Parsed:
    """The visible text of `text` sent with `parse_mode` (None or "": plain text)."""
    if parse_mode in (None, ""):
        return Parsed(text)
    mode = str(parse_mode).lower()
    if mode == "html":
        return parse_html(text)
    if mode in ("markdown", "markdownv2"):
        raise NotImplementedError(
            f"the Bot API fake does not implement parse_mode {parse_mode!r}: add it to "
            "tests/auxil/telegram_rules.py before the app uses it"
        )
    raise UnsupportedParseMode(str(parse_mode))


def _deep_link_problem(text: str) -> str | None:
    for match in _START_LINK.finditer(text):
        # A link at the end of a sentence: clients leave the full stop out of the link.
        payload = match.group(1).rstrip(".,;:!?)")
        if not _START_PAYLOAD.fullmatch(payload):
            return (
                f"Bad Request: deep link start parameter {payload[:80]!r} is not 1-"
                f"{MAX_START_PAYLOAD} characters of A-Za-z0-9_- (Telegram would send the "
                "message, but the parameter would never reach the bot)"
            )
    return None


def _markup_problem(markup: Any) -> str | None:
    if isinstance(markup, str):
        try:
            markup = json.loads(markup)
        except ValueError:
            return "Bad Request: can't parse reply keyboard markup JSON object"
    if not isinstance(markup, dict):
        return None
    rows = markup.get("inline_keyboard")
    if rows is None:
        return None
    for row in rows:
        for button in row:
            if not str(button.get("text", "")).strip():
                return "Bad Request: BUTTON_TEXT_EMPTY"  # pragma: no cover - not produced
            if "callback_data" in button:
                size = len(str(button["callback_data"]).encode("utf-8"))
                if not 1 <= size <= MAX_CALLBACK_DATA:
                    return "Bad Request: BUTTON_DATA_INVALID"
            elif "url" in button:
                problem = _deep_link_problem(str(button["url"]))
                if problem:
                    return problem
            elif not any(
                key in button
                for key in (
                    "login_url",
                    "switch_inline_query",
                    "switch_inline_query_current_chat",
                    "switch_inline_query_chosen_chat",
                    "copy_text",
                    "web_app",
                    "callback_game",
                    "pay",
                )
            ):
                return (
                    "Bad Request: can't parse inline keyboard button: Text buttons are "
                    "unallowed in the inline keyboard"
                )
    return None


def problem(method: str, params: dict[str, Any]) -> str | None:
    """Telegram's description of why it refuses this call, or None if it accepts it."""
    if "reply_markup" in params:
        found = _markup_problem(params["reply_markup"])
        if found:
            return found
    if method == "answerCallbackQuery":
        answer = str(params.get("text") or "")
        if utf16_length(answer) > MAX_CALLBACK_ANSWER:
            return "Bad Request: MESSAGE_TOO_LONG"
        return None
    if method in TEXT_METHODS:
        key, limit = "text", MAX_TEXT
    elif method in CAPTION_METHODS:
        key, limit = "caption", MAX_CAPTION
    else:
        return None
    raw = params.get(key)
    if raw is None:
        if key == "text":
            return "Bad Request: message text is empty"
        return None
    entities = params.get("entities") or params.get("caption_entities")
    try:
        parsed = parse(str(raw), None if entities else params.get("parse_mode"))
    except MarkupError as error:
        return f"Bad Request: can't parse entities: {error}"
    except UnsupportedParseMode:
        return "Bad Request: unsupported parse_mode"
    except NotImplementedError as error:
        return f"Bad Request: {error}"
    if key == "text" and not parsed.text.strip():
        return "Bad Request: message text is empty"
    if parsed.length > limit:
        return (
            "Bad Request: message is too long"
            if key == "text"
            else "Bad Request: message caption is too long"
        )
    for text in (parsed.text, *parsed.links):
        found = _deep_link_problem(text)
        if found:
            return found
    return None


def refusal(method: str, params: dict[str, Any]) -> dict[str, Any] | None:
    """The Bot API's error body for a call Telegram refuses (remembered), or None."""
    description = problem(method, params)
    if description is None:
        return None
    REFUSALS.append((method, description))
    return {"ok": False, "error_code": 400, "description": description}


def take_refusals() -> list[tuple[str, str]]:
    """The refusals so far, forgotten: for a test that provokes one on purpose."""
    taken = list(REFUSALS)
    REFUSALS.clear()
    return taken
