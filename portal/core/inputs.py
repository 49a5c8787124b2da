"""What the edge refuses before anything reaches a query: control characters in any input, and
ids beyond what an id column holds (SECURITY.md 44, 45). And how text typed with a Chinese input
method is read where people type codes, numbers, e-mails and phone numbers (`plain_width`)."""

import re

from flask import request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest, NotFound
from werkzeug.routing import IntegerConverter

#: The largest id an id column holds (INTEGER on both databases).
MAX_ID = 2**31 - 1
#: C0 control characters but tab and the line breaks: PostgreSQL refuses NUL in text, and none
#: of them has a place in anything a person types.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


#: Full-width forms (U+FF01..U+FF5E: ＮＷ－ＬＴ１４, １２３４．５０, ＠, ，；：％) to ASCII, and the
#: other characters Chinese input methods, spreadsheets and chat apps put into codes, numbers,
#: e-mail addresses and phone numbers, to their plain forms.
_PLAIN = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {
    0x3000: " ",  # ideographic space
    0x00A0: " ",  # no-break space
    0x202F: " ",  # narrow no-break space
    **dict.fromkeys(range(0x2002, 0x200B), " "),  # en space .. hair space
    0x200B: None,  # zero-width space (pasted from chat apps and web pages)
    0xFEFF: None,  # zero-width no-break space (a byte order mark inside text)
    0x3001: ",",  # ideographic comma 、
    0xFF64: ",",  # half-width ideographic comma
    0xFE50: ",",  # small comma
    0xFE51: ",",  # small ideographic comma
    0x3002: ".",  # ideographic full stop 。 (typed for a point)
    0xFF61: ".",  # half-width ideographic full stop
    0xFE52: ".",  # small full stop
    0xFE54: ";",  # small semicolon
    0xFE55: ":",  # small colon
    # Hyphens, dashes and minus signs: what an input method gives for "-".
    **dict.fromkeys((0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015), "-"),
    0x2212: "-",  # minus sign
    0xFE58: "-",  # small em dash
    0xFE63: "-",  # small hyphen-minus
}
#: Shift and "-" in a Chinese input method: two em dashes (or horizontal bars) for one "-".
_IME_DASH = re.compile("[\u2014\u2015]{2}")


def plain_width(text: str) -> str:
    """`text` with full-width letters, digits and punctuation, ideographic spaces, commas and
    full stops, and dashes as their plain forms (_PLAIN): the one reading of codes (SKUs),
    numbers (core.numbers), e-mail addresses and phone numbers typed with an input method on.
    `ＮＷ－ＬＴ１４　２` is `NW-LT14 2`, `NW-LT14，2` is `NW-LT14,2`, `buyer＠acme．example` is
    `buyer@acme.example`. Letters of other scripts (中文) stay as they are."""
    return _IME_DASH.sub("-", text).translate(_PLAIN)


def plain_code(text: str | None) -> str:
    """A code as stored (SKUs): plain width, stripped, upper case."""
    return plain_width(text or "").strip().upper()


def plain_email(text: str | None) -> str:
    """An e-mail address as stored and looked up: plain width, stripped, lower case."""
    return plain_width(text or "").strip().lower()


def plain_input(value):
    """A form field filter (`filters=[plain_input]`): the text typed in plain width, for the
    fields of codes, e-mail addresses and phone numbers (validators then see the plain form)."""
    return plain_width(value) if isinstance(value, str) else value


def has_control_characters(text: str) -> bool:
    return CONTROL_CHARACTERS.search(text) is not None


class ControlCharacters(BadRequest):
    """A parameter, form field, file name, JSON value or header holds a control character."""

    message = _l(
        "What you sent contains a control character (such as a NUL byte) that is not allowed "
        "in any field. Remove it, for instance by typing the text instead of pasting it, and "
        "try again."
    )


def refuse_control_characters() -> None:
    """Before every request: 400 when any text of the request holds a control character."""
    if any(map(has_control_characters, _texts_of_request())):
        raise ControlCharacters()


def _texts_of_request():
    yield request.path
    for name, value in request.headers.items():
        yield name
        yield value
    for values in (request.args, request.form):
        for name, value in values.items(multi=True):
            yield name
            yield value
    for name, upload in request.files.items(multi=True):
        yield name
        yield upload.filename or ""
    if request.is_json:
        yield from _texts_of_json(request.get_json(silent=True))


def _texts_of_json(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _texts_of_json(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts_of_json(item)


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: a number beyond an id column's range matches no route (404)
    instead of reaching the query that cannot hold it."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)

    def to_python(self, value: str) -> int:
        if int(value) > self.max:
            # 404 at once: a refused conversion would let a rule of the same path for another
            # method answer 405.
            raise NotFound()
        return super().to_python(value)


def bounded_int(value) -> int:
    """`type=` of an integer query argument or `coerce=` of an id field: a ValueError (so the
    default, or a form error) for what is not a number an id column holds."""
    number = int(value)
    if not -MAX_ID <= number <= MAX_ID:
        raise ValueError(f"{number} is out of range")
    return number


def id_or_none(value) -> int | None:
    """The id a text names, or None when it names none an id column could hold."""
    try:
        number = bounded_int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None
