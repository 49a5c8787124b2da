"""Counted things use the message catalogue's plurals: a number followed by what it counts
("1 units", "ends in 1 days", "request(s)") goes through ngettext, whose plural forms each
language defines. Read from the catalogue's own extraction (babel.cfg), so no string is missed."""

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir

from portal.cart.services import Added

ROOT = Path(__file__).parent.parent
#: A count, maybe a word or two, then a plural noun: "%(n)d days", "%(n)d more rows"; or "(s)".
COUNTED = re.compile(r"(?P<before>\b\w+\s+)?%\(\w+\)d(?:\s+[a-z]+){0,2}?\s+[a-z]+s\b|\w\(s\)")
#: Limits ("at most 40 characters": never one) and numbered things ("Line 3 already prices").
NOT_COUNTED = re.compile(r"^(?:most|least|under|than|Line|Milestone) $")


def messages():
    method_map = [("portal/**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    for filename, line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map=options
    ):
        yield filename, line, message


def counted_without_plural(message) -> bool:
    if isinstance(message, tuple):  # ngettext: (singular, plural)
        return False
    return any(not NOT_COUNTED.match(found["before"] or "") for found in COUNTED.finditer(message))


def test_every_counted_message_uses_ngettext():
    found = [
        f"{filename}:{line}: {message}"
        for filename, line, message in messages()
        if counted_without_plural(message)
    ]
    assert found == []


def test_the_pattern_finds_what_it_should():
    for message in (
        "ends in %(n)d days",
        "%(n)d more rows with errors are not shown.",
        "from %(quantity)d units on a line",
        "Added %(num)d products to your cart (%(units)s units).",
        "escalated request(s)",
    ):
        assert counted_without_plural(message), message
    for message in (
        "%(sku)s was not added: %(reason)s",
        "%(first)d–%(last)d of %(total)d",
        "A phone number has at most %(max)d characters.",
        "Line %(line)d already prices this target",
    ):
        assert not counted_without_plural(message), message
    assert not counted_without_plural(("%(num)d day", "%(num)d days"))


def test_one_unit_added_reads_one_unit(app):
    with app.test_request_context():
        ((text, _category),) = Added(lines=1, units=1).messages()
        assert text == "Added 1 product to your cart (1 unit)."
        ((text, _category),) = Added(lines=2, units=1500).messages()
        assert text == "Added 2 products to your cart (1,500 units)."
